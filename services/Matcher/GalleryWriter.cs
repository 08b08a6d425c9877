using FaceMesh.Matching;
using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;

namespace FaceMesh.Matcher;

/// <summary>
/// The Matcher's one way to change a gallery, used alike by the gRPC <c>UpsertFaces</c> and <c>RemoveSubject</c> and by
/// the enrollment event consumers: every face is checked the same way (<see cref="EventChecks"/>: names present and
/// clean, a finite unit embedding, a quality in [0, 1]) before the store sees it, and <c>AwaitFaces</c> hears of
/// every change. A check that fails is an <see cref="ArgumentException"/>: <c>INVALID_ARGUMENT</c> to a direct
/// caller, the error queue for an event (retrying cannot fix it).
/// </summary>
public sealed class GalleryWriter(IVectorStore store, GalleryChanges changes)
{
    /// <summary>Adds or replaces faces of one gallery (by face id; a redelivered face is the same face).</summary>
    public async Task UpsertAsync(IReadOnlyList<FaceEnrolled> faces, CancellationToken cancellation)
    {
        if (faces.Count == 0)
            return;
        foreach (var face in faces)
            EventChecks.Check(face);
        var key = new GalleryKey(faces[0].Tenant, faces[0].Gallery);
        if (faces.Any(f => f.Tenant != key.Tenant || f.Gallery != key.Gallery))
            throw new ArgumentException("The faces of one change belong to one gallery; send one change per gallery.");
        var stored = faces.Select(f =>
            new EnrolledFace(f.FaceId, f.SubjectId, f.Embedding, f.ModelId, f.Quality, f.EnrolledAt.ToUnixTimeMilliseconds()));
        await store.UpsertAsync(key, stored.ToArray(), cancellation);
        changes.Stored(key, faces.Select(f => f.FaceId));
    }

    /// <summary>
    /// Erases a subject's faces and leaves its tombstone, dated by the deletion's own time when it has one (faces
    /// enrolled before it stay erased even if their event comes later). Returns how many faces were erased.
    /// </summary>
    public async Task<int> DeleteSubjectAsync(SubjectDeleted deletion, CancellationToken cancellation)
    {
        EventChecks.Check(deletion);
        int removed = await store.DeleteSubjectAsync(new GalleryKey(deletion.Tenant, deletion.Gallery), deletion.SubjectId,
            deletion.DeletedAt == default ? 0 : deletion.DeletedAt.ToUnixTimeMilliseconds(), cancellation);
        changes.Deleted();
        return removed;
    }
}
