namespace FaceMesh.Matching;

/// <summary>One enrolled face: its id, its subject, its unit embedding and the model that made it.</summary>
public sealed record EnrolledFace(string FaceId, string SubjectId, float[] Embedding, string ModelId, float Quality);
