namespace FaceMesh.Matching;

/// <summary>No such gallery for the tenant (gRPC <c>NOT_FOUND</c>).</summary>
public sealed class GalleryNotFoundException(GalleryKey gallery)
    : Exception($"Gallery '{gallery.Gallery}' does not exist. Enroll a subject into it first, or check the name.");

/// <summary>No such subject in the gallery (gRPC <c>NOT_FOUND</c>).</summary>
public sealed class SubjectNotFoundException(GalleryKey gallery, string subjectId)
    : Exception($"Subject '{subjectId}' is not enrolled in gallery '{gallery.Gallery}'.");

/// <summary>An embedding of another model than the gallery's (gRPC <c>FAILED_PRECONDITION</c>).</summary>
public sealed class ModelMismatchException(GalleryKey gallery, string galleryModel, string offeredModel)
    : Exception($"Gallery '{gallery.Gallery}' holds embeddings of model '{galleryModel}'; an embedding of '{offeredModel}' cannot be compared with them. " +
                "Use the same model, or enroll into a new gallery.");

/// <summary>The store cannot be reached (gRPC <c>UNAVAILABLE</c>: retry later).</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
