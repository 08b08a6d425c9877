namespace FaceMesh.Matching;

/// <summary>
/// One enrolled face: its id, its subject, its unit embedding, the model that made it, its quality
/// (0 to 1) and when it was enrolled (Unix milliseconds).
/// </summary>
public sealed record EnrolledFace(string FaceId, string SubjectId, float[] Embedding, string ModelId, float Quality, long EnrolledAtMs = 0)
{
    /// <summary>True when the face's subject was deleted at or after the face was enrolled (a tombstone at <paramref
    /// name="deletedAtMs"/>).</summary>
    public bool IsBuriedBy(long? deletedAtMs) => deletedAtMs is { } at && EnrolledAtMs <= at;

    /// <summary>Faces without an enrollment time get the store's clock (every face needs one for the tombstones).</summary>
    public static IReadOnlyList<EnrolledFace> Stamped(IReadOnlyList<EnrolledFace> faces)
    {
        if (faces.All(f => f.EnrolledAtMs != 0))
            return faces;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return faces.Select(f => f.EnrolledAtMs == 0 ? f with { EnrolledAtMs = now } : f).ToArray();
    }

    /// <summary>What every store refuses: a face without ids, of another model than the gallery's, or of another dimension.</summary>
    public void CheckFits(GalleryKey gallery, string galleryModel, int galleryDimension)
    {
        if (string.IsNullOrEmpty(FaceId) || string.IsNullOrEmpty(SubjectId))
            throw new ArgumentException("Every face needs a face id and a subject id.");
        if (ModelId != galleryModel)
            throw new ModelMismatchException(gallery, galleryModel, ModelId);
        if (Embedding.Length != galleryDimension || galleryDimension == 0)
            throw new ArgumentException($"Face '{FaceId}' has {Embedding.Length} values; gallery '{gallery.Gallery}' holds {galleryDimension}-d embeddings.");
    }
}
