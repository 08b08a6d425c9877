namespace FaceMesh.Matching;

/// <summary>
/// Where enrolled faces live and are searched: the Matcher's one storage contract. Two stores keep it, and one
/// contract test suite checks both: <see cref="Embedded.EmbeddedVectorStore"/> (exact search in memory, an
/// append-only log and snapshots on disk) and <c>QdrantVectorStore</c> (a Qdrant cluster; its own project,
/// FaceMesh.Matching.Qdrant). Every store binds a gallery to the model of its first face and refuses another model's
/// embeddings with <see cref="ModelMismatchException"/>; a missing gallery is <see cref="GalleryNotFoundException"/>.
/// </summary>
public interface IVectorStore
{
    /// <summary>
    /// Adds faces, or replaces them by face id (a redelivered face is the same face, and a face id
    /// enrolled again under another subject moves to it). All faces are checked before any is stored.
    /// A face enrolled at or before its subject's deletion (<see cref="DeleteSubjectAsync"/>'s tombstone) is not stored;
    /// a face without an enrollment time gets the store's clock. When this returns, the faces are durable and searchable.
    /// </summary>
    Task UpsertAsync(GalleryKey gallery, IReadOnlyList<EnrolledFace> faces, CancellationToken cancellation = default);

    /// <summary>
    /// Erases the subject's faces enrolled at or before <paramref name="deletedAtMs"/> (Unix milliseconds; 0: now) and keeps
    /// a tombstone, so that a late or redelivered enrollment of an older face does not bring it back; returns how many faces
    /// were erased (0 when none, gallery or not). Faces enrolled after the deletion are a new enrollment and stay.
    /// </summary>
    Task<int> DeleteSubjectAsync(GalleryKey gallery, string subjectId, long deletedAtMs = 0, CancellationToken cancellation = default);

    /// <summary>
    /// The top <paramref name="topK"/> subjects for each query, best first; a subject's score is the cosine
    /// similarity of its best face (the queries and the faces are unit vectors).
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<SubjectMatch>>> SearchAsync(
        GalleryKey gallery, string modelId, IReadOnlyList<float[]> queries, int topK, CancellationToken cancellation = default);

    /// <summary>The subject's faces with their embeddings, in face id order; empty when it has none.</summary>
    Task<IReadOnlyList<EnrolledFace>> GetSubjectAsync(GalleryKey gallery, string subjectId, CancellationToken cancellation = default);

    /// <summary>Which of these face ids are stored in the gallery (searchable); none when the gallery does not exist.</summary>
    Task<IReadOnlyCollection<string>> ContainsFacesAsync(GalleryKey gallery, IReadOnlyCollection<string> faceIds, CancellationToken cancellation = default);

    /// <summary>Subjects in id order after <paramref name="after"/> (exclusive), at most <paramref name="pageSize"/>.</summary>
    Task<IReadOnlyList<SubjectFaceIds>> ListSubjectsAsync(GalleryKey gallery, string? after, int pageSize, CancellationToken cancellation = default);

    /// <summary>How many faces the gallery holds (0 when it does not exist): cheap, for every search's answer.</summary>
    Task<long> CountFacesAsync(GalleryKey gallery, CancellationToken cancellation = default);

    /// <summary>The gallery's model and counts, or null when it does not exist.</summary>
    Task<GalleryInfo?> CountAsync(GalleryKey gallery, CancellationToken cancellation = default);

    /// <summary>The tenant's galleries in name order (no other tenant's).</summary>
    Task<IReadOnlyList<GalleryInfo>> ListGalleriesAsync(string tenant, CancellationToken cancellation = default);
}

/// <summary>A gallery's binding and size.</summary>
public sealed record GalleryInfo(GalleryKey Key, string ModelId, int Dimension, long Subjects, long Faces);

/// <summary>A subject and its face ids (in id order).</summary>
public sealed record SubjectFaceIds(string SubjectId, IReadOnlyList<string> FaceIds);
