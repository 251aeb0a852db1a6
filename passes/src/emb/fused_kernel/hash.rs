//! TensorFlow's integer hashing inside the kernel: `AsString` +
//! `StringToHashBucketFast`, i.e. FarmHash Fingerprint64 (farmhashna's
//! `Hash64`) of the id's decimal form, modulo the bucket count — the code of
//! an `int_hash_bucket` column transform. Branch-free arithmetic on i64
//! registers (no memory): the decimal string, at most 20 bytes, is built in
//! three little-endian words, and every length class of the hash is computed
//! and the right one selected. The oracle is `recom_abi::hash`; the CPU JIT
//! tests compare the two on edge values (`tests/integration`).
use super::emit::Emit;
use melior::{
    dialect::arith::CmpiPredicate,
    ir::{operation::OperationBuilder, r#type::IntegerType, Block, BlockLike, Region, RegionLike, Type, Value},
};

const K0: u64 = 0xc3a5c85c97cb3127;
const K1: u64 = 0xb492b66fbe98f273;
const K2: u64 = 0x9ae16a3b2f90404f;

/// The longest decimal form of an i64 ("-9223372036854775808") has 19
/// digits and a sign.
const MAX_DIGITS: i64 = 19;

/// `words` (a little-endian string) with `byte` shifted in as its first
/// character.
fn push<'c, 'x>(e: &Emit<'c, 'x>, words: [Value<'c, '_>; 3], byte: Value<'c, '_>) -> [Value<'c, 'x>; 3] {
    let (c8, c56) = (e.i64(8), e.i64(56));
    [
        e.ori(e.shli(words[0], c8), byte),
        e.ori(e.shli(words[1], c8), e.shrui(words[0], c56)),
        e.ori(e.shli(words[2], c8), e.shrui(words[1], c56)),
    ]
}

/// A string of at most 24 bytes held in three little-endian words, and its
/// length.
struct Bytes<'c, 'b> {
    words: [Value<'c, 'b>; 3],
    len: Value<'c, 'b>,
}

impl<'c, 'b> Emit<'c, 'b> {
    fn k(&self, value: u64) -> Value<'c, 'b> {
        self.i64(value as i64)
    }

    /// `(v >> shift) | (v << (64 - shift))` for a constant 0 < shift < 64.
    fn rotate(&self, v: Value<'c, '_>, shift: u32) -> Value<'c, 'b> {
        self.ori(self.shrui(v, self.i64(shift.into())), self.shli(v, self.i64(64 - i64::from(shift))))
    }

    fn shift_mix(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.xori(v, self.shrui(v, self.i64(47)))
    }

    fn hash_len16(&self, u: Value<'c, '_>, v: Value<'c, '_>, mul: Value<'c, '_>) -> Value<'c, 'b> {
        let a = self.shift_mix(self.muli(self.xori(u, v), mul));
        let b = self.shift_mix(self.muli(self.xori(v, a), mul));
        self.muli(b, mul)
    }

    /// The 8 bytes at byte offset `at` (0 <= at <= 16) of `s`, little-endian;
    /// bytes past the string are zero. Other offsets give some value (for
    /// length classes that are computed and then not selected).
    fn fetch64(&self, s: &Bytes<'c, '_>, at: Value<'c, '_>) -> Value<'c, 'b> {
        let zero = self.i64(0);
        let word = self.shrui(at, self.i64(3));
        let shift = self.muli(self.andi(at, self.i64(7)), self.i64(8));
        let first = self.cmpi(CmpiPredicate::Eq, word, zero);
        let second = self.cmpi(CmpiPredicate::Eq, word, self.i64(1));
        let lo = self.select(first, s.words[0], self.select(second, s.words[1], s.words[2]));
        let hi = self.select(first, s.words[1], self.select(second, s.words[2], zero));
        // At a word boundary the high word contributes nothing (and a shift
        // by 64 would be poison): shift it by 0 and select the low word alone.
        let aligned = self.cmpi(CmpiPredicate::Eq, shift, zero);
        let back = self.andi(self.subi(self.i64(64), shift), self.i64(63));
        let joined = self.ori(self.shrui(lo, shift), self.shli(hi, back));
        self.select(aligned, lo, joined)
    }

    fn fetch32(&self, s: &Bytes<'c, '_>, at: Value<'c, '_>) -> Value<'c, 'b> {
        self.andi(self.fetch64(s, at), self.i64(0xffff_ffff))
    }

    fn byte_at(&self, s: &Bytes<'c, '_>, at: Value<'c, '_>) -> Value<'c, 'b> {
        self.andi(self.fetch64(s, at), self.i64(0xff))
    }

    /// FarmHash Fingerprint64 of a string of 1 to 24 bytes (lengths 0 and
    /// over 32 take other paths in FarmHash, and never occur here).
    fn fingerprint64_short(&self, s: &Bytes<'c, '_>) -> Value<'c, 'b> {
        let len = s.len;
        let lt = |n: i64| self.cmpi(CmpiPredicate::Slt, len, self.i64(n));
        let back = |n: i64| self.subi(len, self.i64(n));
        let mul = self.addi(self.k(K2), self.muli(len, self.i64(2)));
        // 1..=3 bytes.
        let (a, b, c) = (self.byte_at(s, self.i64(0)), self.byte_at(s, self.shrui(len, self.i64(1))), self.byte_at(s, back(1)));
        let y = self.addi(a, self.shli(b, self.i64(8)));
        let z = self.addi(len, self.shli(c, self.i64(2)));
        let h1 = self.muli(self.shift_mix(self.xori(self.muli(y, self.k(K2)), self.muli(z, self.k(K0)))), self.k(K2));
        // 4..=7 bytes.
        let a = self.fetch32(s, self.i64(0));
        let h4 = self.hash_len16(self.addi(len, self.shli(a, self.i64(3))), self.fetch32(s, back(4)), mul);
        // 8..=16 bytes.
        let a = self.addi(self.fetch64(s, self.i64(0)), self.k(K2));
        let b = self.fetch64(s, back(8));
        let c = self.addi(self.muli(self.rotate(b, 37), mul), a);
        let d = self.muli(self.addi(self.rotate(a, 25), b), mul);
        let h8 = self.hash_len16(c, d, mul);
        // 17..=32 bytes.
        let a = self.muli(self.fetch64(s, self.i64(0)), self.k(K1));
        let b = self.fetch64(s, self.i64(8));
        let c = self.muli(self.fetch64(s, back(8)), mul);
        let d = self.muli(self.fetch64(s, back(16)), self.k(K2));
        let u = self.addi(self.addi(self.rotate(self.addi(a, b), 43), self.rotate(c, 30)), d);
        let v = self.addi(self.addi(a, self.rotate(self.addi(b, self.k(K2)), 18)), c);
        let h17 = self.hash_len16(u, v, mul);
        self.select(lt(4), h1, self.select(lt(8), h4, self.select(lt(17), h8, h17)))
    }

    /// The decimal form of `value` (an i64), as TensorFlow's `AsString`
    /// writes it: digits from the last, each shifted in at the low end so
    /// the first character lands in the lowest byte, then '-' if negative.
    fn decimal(&self, value: Value<'c, '_>) -> Bytes<'c, 'b> {
        let (context, location) = (self.context, self.location);
        let i64t: Type = IntegerType::new(context, 64).into();
        let zero = self.i64(0);
        let negative = self.cmpi(CmpiPredicate::Slt, value, zero);
        // |value| as an unsigned number (i64::MIN wraps to 2^63, which is right).
        let magnitude = self.select(negative, self.subi(zero, value), value);
        // for i in 0..19: while digits remain (always the first), shift one in.
        let body = Block::new(&[(Type::index(context), location), (i64t, location), (i64t, location), (i64t, location), (i64t, location), (i64t, location)]);
        {
            let l = Emit { context, location, block: &body };
            let arg = |i: usize| -> Value { body.argument(i).unwrap().into() };
            let (i, rest, words, len) = (arg(0), arg(1), [arg(2), arg(3), arg(4)], arg(5));
            let active = l.ori(l.cmpi(CmpiPredicate::Eq, i, l.index(0)), l.cmpi(CmpiPredicate::Ne, rest, l.i64(0)));
            let ten = l.i64(10);
            let digit = l.addi(l.remui(rest, ten), l.i64(b'0'.into()));
            let pushed = push(&l, words, digit);
            let next: Vec<Value> = [l.divui(rest, ten)]
                .into_iter()
                .chain((0..3).map(|w| l.select(active, pushed[w], words[w])))
                .chain([l.addi(len, l.bool_to_i64(active))])
                .collect();
            l.yield_(&next);
        }
        let region = Region::new();
        region.append_block(body);
        let digits = self.block.append_operation(
            OperationBuilder::new("scf.for", location)
                .add_operands(&[self.index(0), self.index(MAX_DIGITS), self.index(1), magnitude, zero, zero, zero, zero])
                .add_results(&[i64t; 5])
                .add_regions([region])
                .build()
                .expect("scf.for"),
        );
        let result = |k: usize| -> Value<'c, 'b> { digits.result(k).unwrap().into() };
        let words = [result(1), result(2), result(3)];
        let len = result(4);
        let signed = push(self, words, self.i64(b'-'.into()));
        Bytes {
            words: [0, 1, 2].map(|w| self.select(negative, signed[w], words[w])),
            len: self.addi(len, self.bool_to_i64(negative)),
        }
    }

    /// `AsString` + `StringToHashBucketFast` of the i64 `value` into
    /// `buckets` (> 0) buckets.
    pub(crate) fn int_hash_bucket(&self, value: Value<'c, '_>, buckets: Value<'c, '_>) -> Value<'c, 'b> {
        let text = self.decimal(value);
        self.remui(self.fingerprint64_short(&text), buckets)
    }
}
