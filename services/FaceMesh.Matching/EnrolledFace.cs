namespace FaceMesh.Matching;

/// <summary>
/// One enrolled face: its id, its subject, its unit embedding, the model that made it, its quality
/// (0 to 1) and when it was enrolled (Unix milliseconds).
/// </summary>
public sealed record EnrolledFace(string FaceId, string SubjectId, float[] Embedding, string ModelId, float Quality, long EnrolledAtMs = 0);
