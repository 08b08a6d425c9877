using FaceMesh.Matching.Storage;

namespace FaceMesh.Matching;

/// <summary>
/// The galleries a Matcher serves, in memory and, with a data directory, on disk: every change is
/// checked, written to the <see cref="FaceLog"/> and flushed, and only then applied and acknowledged,
/// so a restart (or <c>kill -9</c>) loses nothing that was acknowledged. Reads go to memory.
/// </summary>
public sealed class GalleryStore : IDisposable
{
    private readonly FaceLog? _log;
    private readonly object _writes = new();

    /// <param name="dataDirectory">Where the log lives; null keeps the galleries in memory only.</param>
    public GalleryStore(string? dataDirectory, Action<string>? log = null)
    {
        if (string.IsNullOrEmpty(dataDirectory))
            return;
        _log = FaceLog.Open(Path.Combine(dataDirectory, "faces.log"), Catalog, out int replayed, out long discarded);
        log?.Invoke($"Restored {replayed} gallery changes from {dataDirectory}" +
                    (discarded > 0 ? $"; discarded a torn last record of {discarded} bytes (never acknowledged)" : ""));
    }

    public GalleryCatalog Catalog { get; } = new();

    public bool IsPersistent => _log is not null;

    public GalleryIndex Upsert(GalleryKey key, IReadOnlyList<EnrolledFace> faces)
    {
        lock (_writes)
        {
            var gallery = Catalog.GetOrCreate(key);
            gallery.Validate(faces);
            _log?.AppendUpsert(key, faces);
            gallery.Upsert(faces);
            return gallery;
        }
    }

    /// <summary>Erases the subject; returns how many faces it had (0: nothing to erase, nothing logged).</summary>
    public int DeleteSubject(GalleryKey key, string subjectId)
    {
        lock (_writes)
        {
            var gallery = Catalog.Get(key);
            if (gallery.FacesOf(subjectId) is null)
                return 0;
            _log?.AppendDelete(key, subjectId);
            return gallery.DeleteSubject(subjectId);
        }
    }

    public void Dispose() => _log?.Dispose();
}
