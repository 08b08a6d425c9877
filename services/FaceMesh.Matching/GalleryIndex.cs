using System.Numerics.Tensors;

namespace FaceMesh.Matching;

/// <summary>
/// The faces of one gallery in memory, searched exactly: every query is compared with every face
/// (unit vectors, so cosine = dot product, computed with SIMD by <see cref="TensorPrimitives"/>), and a
/// subject's score is its best face's. The gallery is bound to the model of its first face.
/// Thread-safe: many searches at once, one writer at a time.
/// </summary>
public sealed class GalleryIndex(GalleryKey key)
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly List<EnrolledFace> _faces = [];
    private readonly Dictionary<string, int> _rowOfFace = new(StringComparer.Ordinal);
    // Each subject's face ids, in id order: subject look-ups, deletions and paging need not scan every face.
    private readonly SortedDictionary<string, SortedSet<string>> _facesOfSubject = new(StringComparer.Ordinal);
    private float[] _vectors = [];
    private int _dimension;

    public GalleryKey Key => key;
    public string? ModelId { get; private set; }

    public int FaceCount { get { _lock.EnterReadLock(); try { return _faces.Count; } finally { _lock.ExitReadLock(); } } }

    public int SubjectCount { get { _lock.EnterReadLock(); try { return _facesOfSubject.Count; } finally { _lock.ExitReadLock(); } } }

    /// <summary>Throws what <see cref="Upsert"/> would throw for these faces, changing nothing.</summary>
    public void Validate(IEnumerable<EnrolledFace> faces)
    {
        _lock.EnterReadLock();
        try
        {
            string? model = ModelId;
            int dimension = _dimension;
            foreach (var face in faces)
            {
                model ??= face.ModelId;
                if (dimension == 0)
                    dimension = face.Embedding.Length;
                if (face.ModelId != model)
                    throw new ModelMismatchException(key, model, face.ModelId);
                if (face.Embedding.Length != dimension)
                    throw new ArgumentException($"Face '{face.FaceId}' has {face.Embedding.Length} values; gallery '{key.Gallery}' holds {dimension}-d embeddings.");
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Adds or replaces faces (by face id): a redelivered face is the same face.</summary>
    public void Upsert(IEnumerable<EnrolledFace> faces)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var face in faces)
            {
                if (ModelId is null)
                {
                    ModelId = face.ModelId;
                    _dimension = face.Embedding.Length;
                }
                else if (face.ModelId != ModelId)
                {
                    throw new ModelMismatchException(key, ModelId, face.ModelId);
                }
                if (face.Embedding.Length != _dimension)
                    throw new ArgumentException($"Face '{face.FaceId}' has {face.Embedding.Length} values; gallery '{key.Gallery}' holds {_dimension}-d embeddings.");
                if (_rowOfFace.TryGetValue(face.FaceId, out int row))
                {
                    Unlink(_faces[row]);
                    _faces[row] = face;
                }
                else
                {
                    row = _faces.Count;
                    _faces.Add(face);
                    _rowOfFace[face.FaceId] = row;
                    if (_vectors.Length < _faces.Count * _dimension)
                        Array.Resize(ref _vectors, Math.Max(_faces.Count * _dimension, _vectors.Length * 2));
                }
                face.Embedding.CopyTo(_vectors.AsSpan(row * _dimension, _dimension));
                if (!_facesOfSubject.TryGetValue(face.SubjectId, out var ids))
                    _facesOfSubject[face.SubjectId] = ids = new SortedSet<string>(StringComparer.Ordinal);
                ids.Add(face.FaceId);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes every face of the subject; returns how many.</summary>
    public int DeleteSubject(string subjectId)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_facesOfSubject.Remove(subjectId, out var ids))
                return 0;
            foreach (var faceId in ids)
            {
                _rowOfFace.Remove(faceId, out int row);
                // Move the last face into the freed row.
                int last = _faces.Count - 1;
                if (row != last)
                {
                    _faces[row] = _faces[last];
                    _rowOfFace[_faces[row].FaceId] = row;
                    _vectors.AsSpan(last * _dimension, _dimension).CopyTo(_vectors.AsSpan(row * _dimension, _dimension));
                }
                _faces.RemoveAt(last);
            }
            return ids.Count;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Takes a face out of its subject's set (the subject goes when its last face does).</summary>
    private void Unlink(EnrolledFace face)
    {
        if (_facesOfSubject.TryGetValue(face.SubjectId, out var ids) && ids.Remove(face.FaceId) && ids.Count == 0)
            _facesOfSubject.Remove(face.SubjectId);
    }

    /// <summary>The top <paramref name="k"/> subjects for the query, best first.</summary>
    public IReadOnlyList<SubjectMatch> Search(ReadOnlySpan<float> query, string modelId, int k)
    {
        _lock.EnterReadLock();
        try
        {
            if (ModelId is not null && modelId != ModelId)
                throw new ModelMismatchException(key, ModelId, modelId);
            if (_faces.Count > 0 && query.Length != _dimension)
                throw new ArgumentException($"The query has {query.Length} values; gallery '{key.Gallery}' holds {_dimension}-d embeddings.");
            var best = new Dictionary<string, SubjectMatch>(StringComparer.Ordinal);
            for (int row = 0; row < _faces.Count; row++)
            {
                float score = TensorPrimitives.Dot(query, _vectors.AsSpan(row * _dimension, _dimension));
                var face = _faces[row];
                if (!best.TryGetValue(face.SubjectId, out var current) || score > current.Score)
                    best[face.SubjectId] = new SubjectMatch(face.SubjectId, face.FaceId, score);
            }
            return best.Values.OrderByDescending(m => m.Score).ThenBy(m => m.SubjectId, StringComparer.Ordinal).Take(k).ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The best score of the query against one subject's faces.</summary>
    public SubjectMatch Compare(ReadOnlySpan<float> query, string modelId, string subjectId)
    {
        _lock.EnterReadLock();
        try
        {
            if (ModelId is not null && modelId != ModelId)
                throw new ModelMismatchException(key, ModelId, modelId);
            if (!_facesOfSubject.TryGetValue(subjectId, out var ids))
                throw new SubjectNotFoundException(key, subjectId);
            SubjectMatch? best = null;
            foreach (var faceId in ids)
            {
                int row = _rowOfFace[faceId];
                float score = TensorPrimitives.Dot(query, _vectors.AsSpan(row * _dimension, _dimension));
                if (best is null || score > best.Value.Score)
                    best = new SubjectMatch(subjectId, faceId, score);
            }
            return best!.Value;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The face ids of a subject, or null when it has none here.</summary>
    public IReadOnlyList<string>? FacesOf(string subjectId)
    {
        _lock.EnterReadLock();
        try
        {
            return _facesOfSubject.TryGetValue(subjectId, out var ids) ? ids.ToArray() : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Subjects in id order, after <paramref name="after"/> (exclusive), at most <paramref name="pageSize"/>.</summary>
    public IReadOnlyList<(string SubjectId, IReadOnlyList<string> FaceIds)> Subjects(string? after, int pageSize)
    {
        _lock.EnterReadLock();
        try
        {
            return _facesOfSubject
                .Where(kv => after is null || string.CompareOrdinal(kv.Key, after) > 0)
                .Take(pageSize)
                .Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value.ToArray()))
                .ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
