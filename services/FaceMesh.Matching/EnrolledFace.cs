namespace FaceMesh.Matching;

/// <summary>
/// One enrolled face: its id, its subject, its unit embedding, the model that made it, its quality
/// (0 to 1) and when it was enrolled (Unix milliseconds).
/// </summary>
public sealed record EnrolledFace(string FaceId, string SubjectId, float[] Embedding, string ModelId, float Quality, long EnrolledAtMs = 0)
{
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
