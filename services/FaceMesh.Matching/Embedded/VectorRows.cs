using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceMesh.Matching.Embedded;

/// <summary>
/// The embeddings of one gallery, row by row, in blocks of <see cref="BlockRows"/> rows (growing never
/// copies the whole gallery; the last block starts at <see cref="FirstBlockRows"/> rows and doubles), scanned
/// exactly for the best rows of each query. With <see cref="Quantized"/> the rows also have an int8 copy (per-row
/// scale) that is scanned first; the best <c>RerankCandidates</c> rows are then scored again with their floats, so
/// the answer is float-exact whenever the true best rows are among the candidates (recall is measured by
/// <c>facemesh-bench --search</c>).
/// Not thread-safe: <see cref="GalleryIndex"/> holds the lock.
/// </summary>
internal sealed class VectorRows(int dimension, bool quantized)
{
    internal const int BlockShift = 14, BlockRows = 1 << BlockShift, FirstBlockRows = 64;
    private const int RowsPerTask = 8192, MinRerankCandidates = 32, ChunkRows = 384, QueryGroup = BlockedDots.Queries;
    // Candidates re-ranked with floats per row asked for: recall@10 is measured by facemesh-bench --search.
    private const int RerankFactor = 2;
    private readonly List<float[]> _floats = [];
    private readonly List<sbyte[]> _codes = [];
    private readonly List<float[]> _scales = [];
    private readonly List<int[]> _sums = [];

    public int Dimension => dimension;
    public bool Quantized => quantized;
    public int Count { get; private set; }

    /// <summary>Bytes held per row by the vectors (floats, and the int8 copy with its scale and sum).</summary>
    public int BytesPerRow => dimension * sizeof(float) + (quantized ? dimension + sizeof(float) + sizeof(int) : 0);

    public ReadOnlySpan<float> Row(int row) => _floats[row >> BlockShift].AsSpan((row & (BlockRows - 1)) * dimension, dimension);

    /// <summary>Writes a row; <paramref name="row"/> == <see cref="Count"/> appends.</summary>
    public void Set(int row, ReadOnlySpan<float> vector)
    {
        int block = row >> BlockShift, offset = row & (BlockRows - 1);
        if (row == Count)
        {
            if (block == _floats.Count)
                AddBlock(FirstBlockRows);
            else if (offset == _floats[block].Length / dimension)
                GrowLastBlock(Math.Min(2 * offset, BlockRows));
            Count++;
        }
        vector.CopyTo(_floats[block].AsSpan(offset * dimension, dimension));
        if (quantized)
            (_scales[block][offset], _sums[block][offset]) = Quantize(vector, _codes[block].AsSpan(offset * dimension, dimension));
    }

    // A block starts small and doubles up to BlockRows: a gallery of a few faces holds kilobytes, not a whole block
    // (32 MB at 512 floats), and growing copies at most one block.
    private void AddBlock(int rows)
    {
        _floats.Add(new float[rows * dimension]);
        if (quantized)
        {
            _codes.Add(new sbyte[rows * dimension]);
            _scales.Add(new float[rows]);
            _sums.Add(new int[rows]);
        }
    }

    private void GrowLastBlock(int rows)
    {
        int last = _floats.Count - 1;
        _floats[last] = Resized(_floats[last], rows * dimension);
        if (quantized)
        {
            _codes[last] = Resized(_codes[last], rows * dimension);
            _scales[last] = Resized(_scales[last], rows);
            _sums[last] = Resized(_sums[last], rows);
        }
    }

    private static T[] Resized<T>(T[] array, int length)
    {
        Array.Resize(ref array, length);
        return array;
    }

    /// <summary>Moves the last row into <paramref name="row"/> and drops the last.</summary>
    public void RemoveBySwappingLast(int row)
    {
        int last = Count - 1;
        if (row != last)
        {
            Row(last).CopyTo(_floats[row >> BlockShift].AsSpan((row & (BlockRows - 1)) * dimension, dimension));
            if (quantized)
            {
                int lb = last >> BlockShift, lo = last & (BlockRows - 1), rb = row >> BlockShift, ro = row & (BlockRows - 1);
                _codes[lb].AsSpan(lo * dimension, dimension).CopyTo(_codes[rb].AsSpan(ro * dimension, dimension));
                _scales[rb][ro] = _scales[lb][lo];
                _sums[rb][ro] = _sums[lb][lo];
            }
        }
        Count--;
        if (Count == 0 || (Count - 1) >> BlockShift < _floats.Count - 1)
        {
            // The last block emptied: give its memory back.
            _floats.RemoveAt(_floats.Count - 1);
            if (quantized)
            {
                _codes.RemoveAt(_codes.Count - 1);
                _scales.RemoveAt(_scales.Count - 1);
                _sums.RemoveAt(_sums.Count - 1);
            }
        }
    }

    /// <summary>
    /// The best <paramref name="rowsPerQuery"/> rows of each query with their float cosine scores, best first.
    /// Large galleries are split between the cores; a batch of queries shares each pass over the rows.
    /// </summary>
    public (int Row, float Score)[][] Best(IReadOnlyList<float[]> queries, int rowsPerQuery)
    {
        if (Count == 0)
            return queries.Select(_ => Array.Empty<(int, float)>()).ToArray();
        int keep = Math.Min(rowsPerQuery, Count);
        if (!quantized)
            return Merge(Scan(queries, keep, FloatScan), keep);

        // int8 pass: a wider candidate set, then the candidates' floats decide.
        int candidates = Math.Min(Count, Math.Max(MinRerankCandidates, keep * RerankFactor));
        var encoded = queries.Select(EncodeQuery).ToArray();
        var rough = Merge(Scan(queries, candidates, (q, from, to, tops) => CodeScan(encoded, from, to, tops)), candidates);
        var result = new (int, float)[queries.Count][];
        for (int q = 0; q < queries.Count; q++)
        {
            var top = new TopRows(keep);
            foreach (var (row, _) in rough[q])
                top.Offer(TensorPrimitives.Dot(queries[q], Row(row)), row);
            result[q] = top.Sorted();
        }
        return result;
    }

    private delegate void ScanRange(IReadOnlyList<float[]> queries, int from, int to, TopRows[] tops);

    private TopRows[][] Scan(IReadOnlyList<float[]> queries, int keep, ScanRange scan)
    {
        int tasks = Math.Clamp(Count / RowsPerTask, 1, Environment.ProcessorCount);
        var partial = new TopRows[tasks][];
        int per = (Count + tasks - 1) / tasks;
        void Run(int t)
        {
            var tops = new TopRows[queries.Count];
            for (int q = 0; q < tops.Length; q++)
                tops[q] = new TopRows(keep);
            scan(queries, t * per, Math.Min(Count, (t + 1) * per), tops);
            partial[t] = tops;
        }
        if (tasks == 1)
            Run(0);
        else
            Parallel.For(0, tasks, Run);
        return partial;
    }

    private static (int Row, float Score)[][] Merge(TopRows[][] partial, int keep)
    {
        if (partial.Length == 1)
            return partial[0].Select(t => t.Sorted()).ToArray();
        var merged = new (int, float)[partial[0].Length][];
        for (int q = 0; q < merged.Length; q++)
        {
            var top = new TopRows(keep);
            foreach (var tops in partial)
                foreach (var (row, score) in tops[q].Sorted())
                    top.Offer(score, row);
            merged[q] = top.Sorted();
        }
        return merged;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FloatScan(IReadOnlyList<float[]> queries, int from, int to, TopRows[] tops)
    {
        // A chunk of rows stays in the cache while every query of the batch passes over it; four queries at a time
        // against three rows at a time (BlockedDots), so each row load serves four products.
        var scores = new float[QueryGroup * ChunkRows];
        for (int start = from, end; start < to; start = end)
        {
            end = ChunkEnd(start, to);
            var block = _floats[start >> BlockShift];
            int first = start & (BlockRows - 1), rows = end - start, q = 0;
            if (dimension % Vector256<float>.Count == 0)
            {
                for (; q + QueryGroup <= queries.Count; q += QueryGroup)
                {
                    BlockedDots.Floats(queries, q, block.AsSpan(first * dimension, rows * dimension), dimension, scores);
                    for (int g = 0; g < QueryGroup; g++)
                        tops[q + g].OfferAll(scores.AsSpan(g * rows, rows), start);
                }
            }
            for (; q < queries.Count; q++)
            {
                var query = queries[q].AsSpan();
                var top = tops[q];
                for (int row = start, offset = first; row < end; row++, offset++)
                    top.Offer(TensorPrimitives.Dot(query, block.AsSpan(offset * dimension, dimension)), row);
            }
        }
    }

    /// <summary>A chunk ends after <see cref="ChunkRows"/> rows, at the end of the range, or at the end of its block.</summary>
    private static int ChunkEnd(int start, int to) => Math.Min(to, Math.Min(start + ChunkRows, ((start >> BlockShift) + 1) << BlockShift));

    private sealed record EncodedQuery(byte[] Shifted, sbyte[] Signed, float Scale);

    /// <summary>The query in int8 (for the portable kernel) and shifted by 128 to uint8 (for VNNI's u8×s8 product).</summary>
    private EncodedQuery EncodeQuery(float[] query)
    {
        var signed = new sbyte[dimension];
        var (scale, _) = Quantize(query, signed);
        var shifted = new byte[dimension];
        for (int i = 0; i < dimension; i++)
            shifted[i] = (byte)(signed[i] + 128);
        return new EncodedQuery(shifted, signed, scale);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CodeScan(EncodedQuery[] queries, int from, int to, TopRows[] tops)
    {
        var dots = new int[QueryGroup * ChunkRows];
        var scores = new float[ChunkRows];
        var bias = new float[ChunkRows];
        var shifted = new byte[QueryGroup][];
        for (int start = from, end; start < to; start = end)
        {
            end = ChunkEnd(start, to);
            int b = start >> BlockShift, first = start & (BlockRows - 1), rows = end - start, q = 0;
            var codes = _codes[b];
            var scales = _scales[b];
            var sums = _sums[b];
            if (AvxVnni.IsSupported && dimension % Vector256<byte>.Count == 0)
            {
                // Four queries against three rows at a time: each row's bytes serve four products (BlockedDots);
                // then, per query, the chunk's scores at once: (dot − 128·Σcodes) × row scale × query scale.
                TensorPrimitives.ConvertTruncating<int, float>(sums.AsSpan(first, rows), bias);
                TensorPrimitives.Multiply(bias.AsSpan(0, rows), 128f, bias);
                for (; q + QueryGroup <= queries.Length; q += QueryGroup)
                {
                    for (int g = 0; g < QueryGroup; g++)
                        shifted[g] = queries[q + g].Shifted;
                    BlockedDots.ShiftedBytes(shifted, codes.AsSpan(first * dimension, rows * dimension), dimension, dots);
                    for (int g = 0; g < QueryGroup; g++)
                    {
                        var score = scores.AsSpan(0, rows);
                        TensorPrimitives.ConvertTruncating<int, float>(dots.AsSpan(g * rows, rows), score);
                        TensorPrimitives.Subtract(score, bias.AsSpan(0, rows), score);
                        TensorPrimitives.Multiply(score, scales.AsSpan(first, rows), score);
                        TensorPrimitives.Multiply(score, queries[q + g].Scale, score);
                        tops[q + g].OfferAll(score, start);
                    }
                }
            }
            for (; q < queries.Length; q++)
            {
                var query = queries[q];
                var top = tops[q];
                for (int row = start, offset = first; row < end; row++, offset++)
                {
                    var rowCodes = codes.AsSpan(offset * dimension, dimension);
                    int dot = AvxVnni.IsSupported
                        ? DotShifted(query.Shifted, rowCodes) - 128 * sums[offset]
                        : DotSigned(query.Signed, rowCodes);
                    top.Offer(dot * query.Scale * scales[offset], row);
                }
            }
        }
    }

    /// <summary>Σ u·r with u = q + 128 (VNNI multiplies unsigned by signed bytes, four at a time per int lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DotShifted(ReadOnlySpan<byte> u, ReadOnlySpan<sbyte> r)
    {
        ref byte pu = ref MemoryMarshal.GetReference(u);
        ref sbyte pr = ref MemoryMarshal.GetReference(r);
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        int i = 0, n = u.Length;
        for (; i + 64 <= n; i += 64)
        {
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref pu, (nuint)i), Vector256.LoadUnsafe(ref pr, (nuint)i));
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.LoadUnsafe(ref pu, (nuint)(i + 32)), Vector256.LoadUnsafe(ref pr, (nuint)(i + 32)));
        }
        int sum = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++)
            sum += u[i] * r[i];
        return sum;
    }

    /// <summary>Σ q·r on machines without VNNI: bytes widened to 16 bits, then multiplied and added in pairs.</summary>
    private static int DotSigned(ReadOnlySpan<sbyte> q, ReadOnlySpan<sbyte> r)
    {
        int i = 0, sum = 0, n = q.Length;
        if (Avx2.IsSupported)
        {
            var acc = Vector256<int>.Zero;
            ref sbyte pq = ref MemoryMarshal.GetReference(q);
            ref sbyte pr = ref MemoryMarshal.GetReference(r);
            for (; i + 16 <= n; i += 16)
            {
                var a = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref pq, (nuint)i));
                var b = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref pr, (nuint)i));
                acc += Avx2.MultiplyAddAdjacent(a, b);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
            sum += q[i] * r[i];
        return sum;
    }

    /// <summary>Symmetric int8 codes of a vector: v ≈ code × scale; also the sum of the codes.</summary>
    private static (float Scale, int Sum) Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        float max = MathF.Abs(TensorPrimitives.MaxMagnitude(vector)); // MaxMagnitude keeps the sign
        float scale = max > 0 ? max / 127f : 1f;
        int sum = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            int code = (int)MathF.Round(vector[i] / scale);
            codes[i] = (sbyte)Math.Clamp(code, -127, 127);
            sum += codes[i];
        }
        return (scale, sum);
    }
}

/// <summary>The <c>capacity</c> best (score, row) pairs offered so far: a min-heap on score.</summary>
internal sealed class TopRows(int capacity)
{
    private readonly float[] _scores = new float[capacity];
    private readonly int[] _rows = new int[capacity];
    private int _count;

    /// <summary>The score a row must beat to enter: the worst kept once full, −∞ before.</summary>
    public float Floor => _count < capacity ? float.NegativeInfinity : _scores[0];

    /// <summary>Offers the scores of consecutive rows from <paramref name="firstRow"/> (none when none beats the floor,
    /// which is most chunks once the best are found).</summary>
    public void OfferAll(ReadOnlySpan<float> scores, int firstRow)
    {
        if (scores.Length == 0 || TensorPrimitives.Max(scores) <= Floor)
            return;
        for (int i = 0; i < scores.Length; i++)
            if (scores[i] > Floor)
                Offer(scores[i], firstRow + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Offer(float score, int row)
    {
        if (_count < capacity)
        {
            int i = _count++;
            _scores[i] = score;
            _rows[i] = row;
            SiftUp(i);
        }
        else if (score > _scores[0])
        {
            _scores[0] = score;
            _rows[0] = row;
            SiftDown(0);
        }
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_scores[parent] <= _scores[i])
                return;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, smallest = i;
            if (l < _count && _scores[l] < _scores[smallest])
                smallest = l;
            if (r < _count && _scores[r] < _scores[smallest])
                smallest = r;
            if (smallest == i)
                return;
            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_rows[a], _rows[b]) = (_rows[b], _rows[a]);
    }

    /// <summary>Best first; equal scores by row.</summary>
    public (int Row, float Score)[] Sorted()
    {
        var result = new (int Row, float Score)[_count];
        for (int i = 0; i < _count; i++)
            result[i] = (_rows[i], _scores[i]);
        Array.Sort(result, (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return result;
    }
}
