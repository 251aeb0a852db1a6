//! Id transforms that search data: vocabularies (TensorFlow's lookup
//! tables, integer or string keys) and bucketize, inside the kernel.
//!
//! Each reads its column's record in the column table
//! (`recom_abi::kernel::record`, at the offset the column's `TRANSFORM`
//! field holds): a header, then sorted keys (or fingerprints, or
//! boundaries) that a branch-free binary search of `STEPS` steps walks.
//! Every read is inside the record: the search clamps its probe into the
//! keys, and an empty record still has one value after its header. The
//! oracle is `recom_abi::IdTransform::apply`; the CPU JIT and GPU tests
//! compare the two on edge values.
use super::emit::Emit;
use melior::{
    dialect::arith::{CmpfPredicate, CmpiPredicate},
    ir::{r#type::IntegerType, Type, Value},
};
use recom_emb::kernel_meta::{record, STRING_LEN_BITS};

impl<'c, 'b> Emit<'c, 'b> {
    /// Field `field` of the record at `at` (i64).
    fn field(&self, meta: Value<'c, '_>, at: Value<'c, '_>, field: usize) -> Value<'c, 'b> {
        self.word(meta, self.addi(at, self.i64(field as i64)))
    }

    /// The number of the first `n` entries for which `right(mid)` holds,
    /// `right` being true on a prefix of them (a lower bound): `steps`
    /// halvings of (lo, len), the probe clamped into [0, n).
    fn search(&self, n: Value<'c, '_>, steps: Value<'c, '_>, right: impl for<'x> Fn(&Emit<'c, 'x>, Value<'c, 'x>) -> Value<'c, 'x>) -> Value<'c, 'b> {
        let found = self.for_loop(self.index(0), self.to_index(steps), &[self.i64(0), n], |l, _, carried| {
            let (lo, len) = (carried[0], carried[1]);
            let half = l.shrui(len, l.i64(1));
            let mid = l.addi(lo, half);
            let probe = l.maxsi(l.minsi(mid, l.subi(n, l.i64(1))), l.i64(0));
            let go = l.andi(l.cmpi(CmpiPredicate::Sgt, len, l.i64(0)), right(l, probe));
            let one = l.i64(1);
            vec![l.select(go, l.addi(mid, one), lo), l.select(go, l.subi(l.subi(len, half), one), half)]
        });
        found[0]
    }

    /// The position `lo` clamped into [0, n) (0 when n = 0: the record's
    /// first data value, which exists).
    fn clamp_position(&self, lo: Value<'c, '_>, n: Value<'c, '_>) -> Value<'c, 'b> {
        self.maxsi(self.minsi(lo, self.subi(n, self.i64(1))), self.i64(0))
    }

    /// An absent key's id: `oov_base + hash % oov_buckets` with OOV
    /// buckets, else the default.
    fn absent(&self, meta: Value<'c, '_>, at: Value<'c, '_>, hash: Value<'c, '_>) -> Value<'c, 'b> {
        let oov = self.field(meta, at, record::OOV_BUCKETS);
        let none = self.cmpi(CmpiPredicate::Eq, oov, self.i64(0));
        let bucket = self.remui(hash, self.select(none, self.i64(1), oov));
        let hashed = self.addi(self.field(meta, at, record::OOV_BASE), bucket);
        self.select(none, self.field(meta, at, record::DEFAULT), hashed)
    }

    /// The id of i64 key `raw` in the integer vocabulary whose record is
    /// at `at`: keys sorted (signed), then their ids.
    pub(super) fn int_vocabulary(&self, raw: Value<'c, '_>, at: Value<'c, '_>, meta: Value<'c, '_>) -> Value<'c, 'b> {
        let n = self.field(meta, at, record::LEN);
        let keys = self.addi(at, self.i64(record::HEADER as i64));
        let lo = self.search(n, self.field(meta, at, record::STEPS), |l, mid| l.cmpi(CmpiPredicate::Slt, l.word(meta, l.addi(keys, mid)), raw));
        let pos = self.clamp_position(lo, n);
        let found = self.andi(self.cmpi(CmpiPredicate::Slt, lo, n), self.cmpi(CmpiPredicate::Eq, self.word(meta, self.addi(keys, pos)), raw));
        let id = self.word(meta, self.addi(self.addi(keys, n), pos));
        // Only an absent key is hashed (its decimal form's Fingerprint64).
        self.if_else(found, |t| t.yield_(&[id]), |t| t.yield_(&[t.absent(meta, at, t.int_fingerprint(raw))]))
    }

    /// The id of the string `raw` references in `bytes` in the string
    /// vocabulary whose record is at `at`: Fingerprint64s sorted
    /// (unsigned), ids, each key's first value and length, the keys' bytes.
    /// A fingerprint match is confirmed byte by byte.
    pub(super) fn str_vocabulary(&self, raw: Value<'c, '_>, at: Value<'c, '_>, meta: Value<'c, '_>, bytes: Value<'c, '_>) -> Value<'c, 'b> {
        let fp = self.str_fingerprint(raw, bytes);
        let n = self.field(meta, at, record::LEN);
        let fps = self.addi(at, self.i64(record::HEADER as i64));
        let (ids, starts) = (self.addi(fps, n), self.addi(fps, self.addi(n, n)));
        let lens = self.addi(starts, n);
        let lo = self.search(n, self.field(meta, at, record::STEPS), |l, mid| l.cmpi(CmpiPredicate::Ult, l.word(meta, l.addi(fps, mid)), fp));
        let pos = self.clamp_position(lo, n);
        let fp_match = self.andi(self.cmpi(CmpiPredicate::Slt, lo, n), self.cmpi(CmpiPredicate::Eq, self.word(meta, self.addi(fps, pos)), fp));
        let start = self.shrui(raw, self.i64(STRING_LEN_BITS.into()));
        let len = self.andi(raw, self.i64((1 << STRING_LEN_BITS) - 1));
        let same_len = self.andi(fp_match, self.cmpi(CmpiPredicate::Eq, self.word(meta, self.addi(lens, pos)), len));
        // The key's bytes, 8 per value (little-endian), against the request's.
        let first = self.word(meta, self.addi(starts, pos));
        let count = self.to_index(self.select(same_len, len, self.i64(0)));
        let equal = self.for_loop(self.index(0), count, &[self.i64(1)], |l, k, carried| {
            let k = l.to_i64(k);
            let mine = l.load_byte(bytes, l.to_index(l.addi(start, k)));
            let word = l.word(meta, l.addi(first, l.shrui(k, l.i64(3))));
            let theirs = l.andi(l.shrui(word, l.muli(l.andi(k, l.i64(7)), l.i64(8))), l.i64(0xff));
            vec![l.andi(carried[0], l.bool_to_i64(l.cmpi(CmpiPredicate::Eq, mine, theirs)))]
        });
        let found = self.andi(same_len, self.cmpi(CmpiPredicate::Ne, equal[0], self.i64(0)));
        let id = self.word(meta, self.addi(ids, pos));
        self.select(found, id, self.absent(meta, at, fp))
    }

    /// TensorFlow's Bucketize of a bucketized column's raw entry (`j << 32
    /// | f32 bits`) with the record at `at`: how many boundaries (f64 bits)
    /// are <= x, NaN past them all, plus j * (len + 1).
    pub(super) fn bucketize(&self, raw: Value<'c, '_>, at: Value<'c, '_>, meta: Value<'c, '_>) -> Value<'c, 'b> {
        let (f32t, f64t) = (Type::float32(self.context), Type::float64(self.context));
        let i32t: Type = IntegerType::new(self.context, 32).into();
        let x = self.cast("arith.extf", self.cast("arith.bitcast", self.cast("arith.trunci", raw, i32t), f32t), f64t);
        let j = self.shrui(raw, self.i64(32));
        let n = self.field(meta, at, record::LEN);
        let boundaries = self.addi(at, self.i64(record::HEADER as i64));
        // `!(x < b)`: b <= x, or x is NaN.
        let lo = self.search(n, self.field(meta, at, record::STEPS), |l, mid| {
            let b = l.cast("arith.bitcast", l.word(meta, l.addi(boundaries, mid)), f64t);
            l.cmpf(CmpfPredicate::Uge, x, b)
        });
        self.addi(lo, self.muli(j, self.field(meta, at, record::DEFAULT)))
    }
}
