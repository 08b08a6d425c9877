namespace FaceMesh.Matching.Embedded;

/// <summary>
/// The faces of one gallery in memory, searched exactly (<see cref="VectorRows"/>: every query against every
/// face, SIMD dot products of unit vectors, optionally an int8 pass re-ranked with floats), with a subject's
/// score being its best face's. The gallery is bound to the model of its first face.
/// Thread-safe: many searches at once, one writer at a time.
/// </summary>
public sealed class GalleryIndex(GalleryKey key, bool quantized = false)
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly List<FaceRow> _rows = [];
    private readonly Dictionary<string, int> _rowOfFace = new(StringComparer.Ordinal);
    // Each subject's face ids: subject look-ups, deletions and paging need not scan every face.
    private readonly SortedDictionary<string, List<string>> _facesOfSubject = new(StringComparer.Ordinal);
    private VectorRows? _vectors;

    /// <summary>What a row holds besides its vector.</summary>
    private readonly record struct FaceRow(string FaceId, string SubjectId, float Quality, long EnrolledAtMs);

    public GalleryKey Key => key;
    public string? ModelId { get; private set; }
    public int Dimension => _vectors?.Dimension ?? 0;

    public int FaceCount => Read(() => _rows.Count);

    public int SubjectCount => Read(() => _facesOfSubject.Count);

    /// <summary>Bytes of vector memory per face (floats, plus the int8 copy when quantized).</summary>
    public int VectorBytesPerFace => _vectors?.BytesPerRow ?? 0;

    public GalleryInfo Info() => Read(() => new GalleryInfo(key, ModelId ?? "", Dimension, _facesOfSubject.Count, _rows.Count));

    /// <summary>Throws what <see cref="Upsert"/> would throw for these faces, changing nothing.</summary>
    public void Validate(IEnumerable<EnrolledFace> faces) => Read(() =>
    {
        string? model = ModelId;
        int dimension = Dimension;
        foreach (var face in faces)
        {
            model ??= face.ModelId;
            if (dimension == 0)
                dimension = face.Embedding.Length;
            face.CheckFits(key, model, dimension);
        }
        return 0;
    });

    /// <summary>Adds or replaces faces (by face id): a redelivered face is the same face.</summary>
    public void Upsert(IEnumerable<EnrolledFace> faces) => Write(() =>
    {
        foreach (var face in faces)
        {
            if (ModelId is null)
            {
                ModelId = face.ModelId;
                _vectors = new VectorRows(face.Embedding.Length, quantized);
            }
            face.CheckFits(key, ModelId, _vectors!.Dimension);
            var subject = face.SubjectId;
            if (_rowOfFace.TryGetValue(face.FaceId, out int row))
                Unlink(_rows[row]);
            else
            {
                row = _rows.Count;
                _rows.Add(default);
                _rowOfFace[face.FaceId] = row;
            }
            _rows[row] = new FaceRow(face.FaceId, subject, face.Quality, face.EnrolledAtMs);
            _vectors.Set(row, face.Embedding);
            if (!_facesOfSubject.TryGetValue(subject, out var ids))
                _facesOfSubject[subject] = ids = [];
            ids.Add(face.FaceId);
        }
        return 0;
    });

    /// <summary>Removes the subject's faces enrolled at or before <paramref name="upToMs"/> (every face by default); returns how
    /// many.</summary>
    public int DeleteSubject(string subjectId, long upToMs = long.MaxValue) => Write(() =>
    {
        if (!_facesOfSubject.TryGetValue(subjectId, out var all))
            return 0;
        var ids = all.Where(id => _rows[_rowOfFace[id]].EnrolledAtMs <= upToMs).ToList();
        if (ids.Count == all.Count)
            _facesOfSubject.Remove(subjectId);
        else
            all.RemoveAll(ids.Contains);
        foreach (var faceId in ids)
        {
            _rowOfFace.Remove(faceId, out int row);
            int last = _rows.Count - 1;
            if (row != last)
            {
                _rows[row] = _rows[last];
                _rowOfFace[_rows[row].FaceId] = row;
            }
            _rows.RemoveAt(last);
            _vectors!.RemoveBySwappingLast(row);
        }
        return ids.Count;
    });

    private void Unlink(FaceRow face)
    {
        if (_facesOfSubject.TryGetValue(face.SubjectId, out var ids) && ids.Remove(face.FaceId) && ids.Count == 0)
            _facesOfSubject.Remove(face.SubjectId);
    }

    /// <summary>The top <paramref name="k"/> subjects for each query, best first.</summary>
    public IReadOnlyList<SubjectMatch>[] Search(IReadOnlyList<float[]> queries, string modelId, int k) => Read(() =>
    {
        CheckQuery(queries, modelId);
        if (_vectors is null || _rows.Count == 0)
            return queries.Select(_ => (IReadOnlyList<SubjectMatch>)[]).ToArray();
        var results = new IReadOnlyList<SubjectMatch>[queries.Count];
        // The best rows may repeat a subject; widen until k distinct subjects are found or every row was kept.
        int rows = Math.Min(_rows.Count, k * 4 + 16);
        var pending = Enumerable.Range(0, queries.Count).ToList();
        while (pending.Count > 0)
        {
            var best = _vectors.Best(pending.Select(q => queries[q]).ToArray(), rows);
            var stillShort = new List<int>();
            for (int i = 0; i < pending.Count; i++)
            {
                var subjects = DistinctSubjects(best[i], k);
                if (subjects.Count < k && rows < _rows.Count)
                    stillShort.Add(pending[i]);
                else
                    results[pending[i]] = subjects;
            }
            pending = stillShort;
            rows = Math.Min(_rows.Count, rows * 8);
        }
        return results;
    });

    private List<SubjectMatch> DistinctSubjects((int Row, float Score)[] best, int k)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var matches = new List<SubjectMatch>(k);
        foreach (var (row, score) in best)
        {
            var face = _rows[row];
            if (seen.Add(face.SubjectId))
            {
                matches.Add(new SubjectMatch(face.SubjectId, face.FaceId, score));
                if (matches.Count == k)
                    break;
            }
        }
        return matches;
    }

    private void CheckQuery(IReadOnlyList<float[]> queries, string modelId)
    {
        if (ModelId is not null && modelId != ModelId)
            throw new ModelMismatchException(key, ModelId, modelId);
        foreach (var query in queries)
            if (_vectors is not null && query.Length != _vectors.Dimension)
                throw new ArgumentException($"The query has {query.Length} values; gallery '{key.Gallery}' holds {_vectors.Dimension}-d embeddings.");
    }

    public bool HasSubject(string subjectId) => Read(() => _facesOfSubject.ContainsKey(subjectId));

    /// <summary>The subject's faces with their embeddings, in face id order; empty when it has none.</summary>
    public IReadOnlyList<EnrolledFace> FacesOf(string subjectId) => Read(() =>
    {
        if (!_facesOfSubject.TryGetValue(subjectId, out var ids))
            return (IReadOnlyList<EnrolledFace>)[];
        return ids.Order(StringComparer.Ordinal).Select(id => Face(_rowOfFace[id])).ToArray();
    });

    private EnrolledFace Face(int row)
    {
        var r = _rows[row];
        return new EnrolledFace(r.FaceId, r.SubjectId, _vectors!.Row(row).ToArray(), ModelId!, r.Quality, r.EnrolledAtMs);
    }

    /// <summary>Which of the face ids are here.</summary>
    public IReadOnlyCollection<string> Contains(IEnumerable<string> faceIds) =>
        Read(() => faceIds.Where(_rowOfFace.ContainsKey).ToArray());

    /// <summary>Subjects in id order, after <paramref name="after"/> (exclusive), at most <paramref name="pageSize"/>.</summary>
    public IReadOnlyList<SubjectFaceIds> Subjects(string? after, int pageSize) => Read(() =>
        (IReadOnlyList<SubjectFaceIds>)_facesOfSubject
            .Where(kv => after is null || string.CompareOrdinal(kv.Key, after) > 0)
            .Take(pageSize)
            .Select(kv => new SubjectFaceIds(kv.Key, kv.Value.Order(StringComparer.Ordinal).ToArray()))
            .ToArray());

    /// <summary>A copy of the gallery taken under the read lock (a memory copy: writers wait only that long), for snapshots.</summary>
    public GalleryCopy Copy() => Read(() =>
    {
        int dimension = Dimension;
        // In chunks of VectorRows' block size: no single array limits the gallery's size.
        var vectors = new float[(_rows.Count + VectorRows.BlockRows - 1) / VectorRows.BlockRows][];
        for (int chunk = 0; chunk < vectors.Length; chunk++)
        {
            int first = chunk * VectorRows.BlockRows, count = Math.Min(VectorRows.BlockRows, _rows.Count - first);
            vectors[chunk] = new float[count * dimension];
            for (int i = 0; i < count; i++)
                _vectors!.Row(first + i).CopyTo(vectors[chunk].AsSpan(i * dimension, dimension));
        }
        return new GalleryCopy(new GalleryInfo(key, ModelId ?? "", dimension, _facesOfSubject.Count, _rows.Count),
            _rows.Select(r => (r.FaceId, r.SubjectId, r.Quality, r.EnrolledAtMs)).ToArray(), vectors);
    });

    private T Read<T>(Func<T> read)
    {
        _lock.EnterReadLock();
        try { return read(); }
        finally { _lock.ExitReadLock(); }
    }

    private T Write<T>(Func<T> write)
    {
        _lock.EnterWriteLock();
        try { return write(); }
        finally { _lock.ExitWriteLock(); }
    }
}

/// <summary>A gallery as it was at one moment: its binding and size, each face's fields, and the vectors row after row (in
/// chunks).</summary>
public sealed record GalleryCopy(GalleryInfo Info, (string FaceId, string SubjectId, float Quality, long EnrolledAtMs)[] Faces, float[][] Vectors)
{
    public ReadOnlySpan<float> Vector(int row) =>
        Vectors[row / VectorRows.BlockRows].AsSpan(row % VectorRows.BlockRows * Info.Dimension, Info.Dimension);
}
