//! TensorFlow's id hashing inside the kernel: `StringToHashBucketFast`, i.e.
//! FarmHash Fingerprint64 (farmhashna's `Hash64`) modulo the bucket count,
//! of a string in the request's bytes (`str_hash_bucket`) or of an integer's
//! decimal form (`int_hash_bucket`, TensorFlow's `AsString` first).
//!
//! The hash reads its string through a [`Source`]: an integer's decimal
//! form, at most 20 bytes, is built in three little-endian words (registers,
//! no memory); a string is read byte by byte from the bytes buffer, every
//! read clamped into the string (so the length classes that are computed and
//! then not selected read inside it too). Strings of up to 32 bytes compute
//! every length class branch-free and select one; longer ones branch to
//! FarmHash's 33-64-byte mix or its 64-byte loop. The oracle is
//! `recom_abi::hash` (itself tested against TensorFlow's fingerprints); the
//! CPU JIT and GPU tests compare the two on edge values.
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

/// Where the hash reads its string: the length and little-endian loads at
/// byte offsets. Offsets outside the string may give any value (they are
/// read only by length classes that are not selected) but never read
/// outside the string's memory.
trait Source<'c, 'v> {
    fn len(&self) -> Value<'c, 'v>;
    fn fetch64<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b>;
    fn fetch32<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        e.andi(self.fetch64(e, at), e.i64(0xffff_ffff))
    }
    fn byte<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        e.andi(self.fetch64(e, at), e.i64(0xff))
    }
}

impl<'c, 'v> Source<'c, 'v> for Bytes<'c, 'v> {
    fn len(&self) -> Value<'c, 'v> {
        self.len
    }

    /// The 8 bytes at byte offset `at` (0 <= at <= 16); bytes past the
    /// string are zero.
    fn fetch64<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        let zero = e.i64(0);
        let word = e.shrui(at, e.i64(3));
        let shift = e.muli(e.andi(at, e.i64(7)), e.i64(8));
        let first = e.cmpi(CmpiPredicate::Eq, word, zero);
        let second = e.cmpi(CmpiPredicate::Eq, word, e.i64(1));
        let lo = e.select(first, self.words[0], e.select(second, self.words[1], self.words[2]));
        let hi = e.select(first, self.words[1], e.select(second, self.words[2], zero));
        // At a word boundary the high word contributes nothing (and a shift
        // by 64 would be poison): shift it by 0 and select the low word alone.
        let aligned = e.cmpi(CmpiPredicate::Eq, shift, zero);
        let back = e.andi(e.subi(e.i64(64), shift), e.i64(63));
        let joined = e.ori(e.shrui(lo, shift), e.shli(hi, back));
        e.select(aligned, lo, joined)
    }
}

/// A string of the bytes buffer: `len` (>= 1) bytes at `start`, both i64.
struct Span<'c, 'v> {
    bytes: Value<'c, 'v>,
    start: Value<'c, 'v>,
    len: Value<'c, 'v>,
}

impl<'c, 'v> Span<'c, 'v> {
    /// The `n` bytes at `at` as a little-endian number, each read clamped
    /// into the string.
    fn little_endian<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>, n: i64) -> Value<'c, 'b> {
        (1..n).fold(self.byte(e, at), |word, k| e.ori(word, e.shli(self.byte(e, e.addi(at, e.i64(k))), e.i64(8 * k))))
    }
}

impl<'c, 'v> Source<'c, 'v> for Span<'c, 'v> {
    fn len(&self) -> Value<'c, 'v> {
        self.len
    }

    fn fetch64<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        self.little_endian(e, at, 8)
    }

    fn fetch32<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        self.little_endian(e, at, 4)
    }

    /// Byte `at`, read at `at` clamped into the string.
    fn byte<'b>(&self, e: &Emit<'c, 'b>, at: Value<'c, '_>) -> Value<'c, 'b> {
        let last = e.subi(self.len, e.i64(1));
        let at = e.minsi(e.maxsi(at, e.i64(0)), last);
        e.load_byte(self.bytes, e.to_index(e.addi(self.start, at)))
    }
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

    /// FarmHash Fingerprint64 of a string of 1 to 32 bytes (length 0 and
    /// longer strings take other paths), every length class computed and
    /// the right one selected.
    fn fingerprint64_upto32<'v>(&self, s: &impl Source<'c, 'v>) -> Value<'c, 'b> {
        let len = s.len();
        let lt = |n: i64| self.cmpi(CmpiPredicate::Slt, len, self.i64(n));
        let back = |n: i64| self.subi(len, self.i64(n));
        let mul = self.addi(self.k(K2), self.muli(len, self.i64(2)));
        // 1..=3 bytes.
        let (a, b, c) = (s.byte(self, self.i64(0)), s.byte(self, self.shrui(len, self.i64(1))), s.byte(self, back(1)));
        let y = self.addi(a, self.shli(b, self.i64(8)));
        let z = self.addi(len, self.shli(c, self.i64(2)));
        let h1 = self.muli(self.shift_mix(self.xori(self.muli(y, self.k(K2)), self.muli(z, self.k(K0)))), self.k(K2));
        // 4..=7 bytes.
        let a = s.fetch32(self, self.i64(0));
        let h4 = self.hash_len16(self.addi(len, self.shli(a, self.i64(3))), s.fetch32(self, back(4)), mul);
        // 8..=16 bytes.
        let a = self.addi(s.fetch64(self, self.i64(0)), self.k(K2));
        let b = s.fetch64(self, back(8));
        let c = self.addi(self.muli(self.rotate(b, 37), mul), a);
        let d = self.muli(self.addi(self.rotate(a, 25), b), mul);
        let h8 = self.hash_len16(c, d, mul);
        // 17..=32 bytes.
        let a = self.muli(s.fetch64(self, self.i64(0)), self.k(K1));
        let b = s.fetch64(self, self.i64(8));
        let c = self.muli(s.fetch64(self, back(8)), mul);
        let d = self.muli(s.fetch64(self, back(16)), self.k(K2));
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
    pub(super) fn int_hash_bucket(&self, value: Value<'c, '_>, buckets: Value<'c, '_>) -> Value<'c, 'b> {
        self.remui(self.int_fingerprint(value), buckets)
    }

    /// Fingerprint64 of the i64 `value`'s decimal form.
    pub(super) fn int_fingerprint(&self, value: Value<'c, '_>) -> Value<'c, 'b> {
        let text = self.decimal(value);
        self.fingerprint64_upto32(&text)
    }

    /// FarmHash's `WeakHashLen32WithSeeds` of the 32 bytes at `at`.
    fn weak32<'v>(&self, s: &Span<'c, 'v>, at: Value<'c, '_>, a: Value<'c, '_>, b: Value<'c, '_>) -> (Value<'c, 'b>, Value<'c, 'b>) {
        let [w, x, y, z] = [0, 8, 16, 24].map(|k| s.fetch64(self, self.addi(at, self.i64(k))));
        let a = self.addi(a, w);
        let b = self.rotate(self.addi(self.addi(b, a), z), 21);
        let c = a;
        let a = self.addi(self.addi(a, x), y);
        let b = self.addi(b, self.rotate(a, 44));
        (self.addi(a, z), self.addi(b, c))
    }

    /// FarmHash Fingerprint64 of a string of over 32 bytes: the 33-64-byte
    /// mix, or (over 64) the 64-byte loop over all but the last block and
    /// the mix of the last 64 bytes.
    fn fingerprint64_over32<'v>(&self, s: &Span<'c, 'v>) -> Value<'c, 'b> {
        let (context, location) = (self.context, self.location);
        let i64t: Type = IntegerType::new(context, 64).into();
        let len = s.len;
        let at = |k: i64| self.i64(k);
        let back = |k: i64| self.subi(len, self.i64(k));
        let mul = self.addi(self.k(K2), self.muli(len, self.i64(2)));
        let a = self.muli(s.fetch64(self, at(0)), self.k(K2));
        let b = s.fetch64(self, at(8));
        let c = self.muli(s.fetch64(self, back(8)), mul);
        let d = self.muli(s.fetch64(self, back(16)), self.k(K2));
        let y = self.addi(self.addi(self.rotate(self.addi(a, b), 43), self.rotate(c, 30)), d);
        let z = self.hash_len16(y, self.addi(self.addi(a, self.rotate(self.addi(b, self.k(K2)), 18)), c), mul);
        let e = self.muli(s.fetch64(self, at(16)), mul);
        let f = s.fetch64(self, at(24));
        let g = self.muli(self.addi(y, s.fetch64(self, back(32))), mul);
        let h = self.muli(self.addi(z, s.fetch64(self, back(24))), mul);
        let h33 = self.hash_len16(
            self.addi(self.addi(self.rotate(self.addi(e, f), 43), self.rotate(g, 30)), h),
            self.addi(self.addi(e, self.rotate(self.addi(f, a), 18)), g),
            mul,
        );
        self.if_else(
            self.cmpi(CmpiPredicate::Sle, len, self.i64(64)),
            |t| t.yield_(&[h33]),
            |t| {
                // State (x, y, z, v, w) over the blocks before the last 64 bytes.
                let seed = t.i64(81);
                let y0 = t.addi(t.muli(seed, t.k(K1)), t.i64(113));
                let z0 = t.muli(t.shift_mix(t.addi(t.muli(y0, t.k(K2)), t.i64(113))), t.k(K2));
                let x0 = t.addi(t.muli(seed, t.k(K2)), s.fetch64(t, t.i64(0)));
                let zero = t.i64(0);
                let blocks = t.to_index(t.divui(t.subi(len, t.i64(1)), t.i64(64)));
                let body = Block::new(&[(Type::index(context), location)].into_iter().chain([(i64t, location); 7]).collect::<Vec<_>>());
                {
                    let l = Emit { context, location, block: &body };
                    let arg = |i: usize| -> Value { body.argument(i).unwrap().into() };
                    let (k, x, y, z, v0, v1, w0, w1) = (arg(0), arg(1), arg(2), arg(3), arg(4), arg(5), arg(6), arg(7));
                    let at = l.muli(l.to_i64(k), l.i64(64));
                    let off = |n: i64| l.addi(at, l.i64(n));
                    let x = l.muli(l.rotate(l.addi(l.addi(l.addi(x, y), v0), s.fetch64(&l, off(8))), 37), l.k(K1));
                    let y = l.muli(l.rotate(l.addi(l.addi(y, v1), s.fetch64(&l, off(48))), 42), l.k(K1));
                    let x = l.xori(x, w1);
                    let y = l.addi(l.addi(y, v0), s.fetch64(&l, off(40)));
                    let z = l.muli(l.rotate(l.addi(z, w0), 33), l.k(K1));
                    let (nv0, nv1) = l.weak32(s, at, l.muli(v1, l.k(K1)), l.addi(x, w0));
                    let (nw0, nw1) = l.weak32(s, off(32), l.addi(z, w1), l.addi(y, s.fetch64(&l, off(16))));
                    // swap(z, x)
                    l.yield_(&[z, y, x, nv0, nv1, nw0, nw1]);
                }
                let region = Region::new();
                region.append_block(body);
                let looped = t.block.append_operation(
                    OperationBuilder::new("scf.for", location)
                        .add_operands(&[t.index(0), blocks, t.index(1), x0, y0, z0, zero, zero, zero, zero])
                        .add_results(&[i64t; 7])
                        .add_regions([region])
                        .build()
                        .expect("scf.for"),
                );
                let r = |i: usize| -> Value { looped.result(i).unwrap().into() };
                let (x, y, z, v0, v1, w0, w1) = (r(0), r(1), r(2), r(3), r(4), r(5), r(6));
                // The last 64 bytes.
                let mul = t.addi(t.k(K1), t.shli(t.andi(z, t.i64(0xff)), t.i64(1)));
                let at = t.subi(len, t.i64(64));
                let off = |n: i64| t.addi(at, t.i64(n));
                let w0 = t.addi(w0, t.andi(t.subi(len, t.i64(1)), t.i64(63)));
                let v0 = t.addi(v0, w0);
                let w0 = t.addi(w0, v0);
                let x = t.muli(t.rotate(t.addi(t.addi(t.addi(x, y), v0), s.fetch64(t, off(8))), 37), mul);
                let y = t.muli(t.rotate(t.addi(t.addi(y, v1), s.fetch64(t, off(48))), 42), mul);
                let x = t.xori(x, t.muli(w1, t.i64(9)));
                let y = t.addi(t.addi(y, t.muli(v0, t.i64(9))), s.fetch64(t, off(40)));
                let z = t.muli(t.rotate(t.addi(z, w0), 33), mul);
                let (v0, v1) = t.weak32(s, at, t.muli(v1, mul), t.addi(x, w0));
                let (w0, w1) = t.weak32(s, off(32), t.addi(z, w1), t.addi(y, s.fetch64(t, off(16))));
                let (x, z) = (z, x);
                t.yield_(&[t.hash_len16(
                    t.addi(t.addi(t.hash_len16(v0, w0, mul), t.muli(t.shift_mix(y), t.k(K0))), z),
                    t.addi(t.hash_len16(v1, w1, mul), x),
                    mul,
                )]);
            },
        )
    }

    /// `StringToHashBucketFast` of the string `raw` references in `bytes`
    /// (`recom_abi::request::string_ref`: start << 24 | length) into
    /// `buckets` (> 0) buckets. The request was validated: the string lies
    /// inside `bytes`; an empty one reads nothing.
    pub(super) fn str_hash_bucket(&self, raw: Value<'c, '_>, buckets: Value<'c, '_>, bytes: Value<'c, '_>) -> Value<'c, 'b> {
        self.remui(self.str_fingerprint(raw, bytes), buckets)
    }

    /// Fingerprint64 of the string `raw` references in `bytes` (see
    /// [`Self::str_hash_bucket`]).
    pub(super) fn str_fingerprint(&self, raw: Value<'c, '_>, bytes: Value<'c, '_>) -> Value<'c, 'b> {
        let start = self.shrui(raw, self.i64(recom_emb::kernel_meta::STRING_LEN_BITS.into()));
        let len = self.andi(raw, self.i64((1 << recom_emb::kernel_meta::STRING_LEN_BITS) - 1));
        let hash = self.if_else(
            self.cmpi(CmpiPredicate::Eq, len, self.i64(0)),
            |t| t.yield_(&[t.k(K2)]),
            |t| {
                let span = Span { bytes, start, len };
                let short = t.cmpi(CmpiPredicate::Sle, len, t.i64(32));
                let hash = t.if_else(short, |u| u.yield_(&[u.fingerprint64_upto32(&span)]), |u| u.yield_(&[u.fingerprint64_over32(&span)]));
                t.yield_(&[hash]);
            },
        );
        hash
    }
}
