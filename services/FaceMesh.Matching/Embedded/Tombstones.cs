using System.Collections.Concurrent;

namespace FaceMesh.Matching.Embedded;

/// <summary>
/// When each deleted subject was deleted (Unix milliseconds, the Gateway's clock): a face enrolled at or before its
/// subject's deletion is never stored, so an enrollment event delivered after the deletion that should have erased it
/// (two Matchers sharing a queue, a redelivery) cannot bring the face back. Faces enrolled after the deletion are a new
/// enrollment and are kept. Tombstones are logged and snapshotted with the faces and kept for the store's life
/// (about 100 bytes a deleted subject).
/// </summary>
public sealed class Tombstones
{
    private readonly ConcurrentDictionary<(GalleryKey Gallery, string Subject), long> _deletedAt = new();

    public int Count => _deletedAt.Count;

    /// <summary>Records a deletion; the later of two deletions of a subject wins.</summary>
    public void Mark(GalleryKey gallery, string subjectId, long deletedAtMs) =>
        _deletedAt.AddOrUpdate((gallery, subjectId), deletedAtMs, (_, old) => Math.Max(old, deletedAtMs));

    public long? DeletedAt(GalleryKey gallery, string subjectId) =>
        _deletedAt.TryGetValue((gallery, subjectId), out long at) ? at : null;

    /// <summary>True when the face's subject was deleted at or after the face was enrolled.</summary>
    public bool Buries(GalleryKey gallery, EnrolledFace face) => face.IsBuriedBy(DeletedAt(gallery, face.SubjectId));

    public IReadOnlyList<(GalleryKey Gallery, string SubjectId, long DeletedAtMs)> All() =>
        _deletedAt.Select(kv => (kv.Key.Gallery, kv.Key.Subject, kv.Value))
            .OrderBy(t => t.Gallery.Tenant, StringComparer.Ordinal).ThenBy(t => t.Gallery.Gallery, StringComparer.Ordinal)
            .ThenBy(t => t.Subject, StringComparer.Ordinal).ToArray();
}
