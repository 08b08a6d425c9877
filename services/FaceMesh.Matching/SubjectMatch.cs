namespace FaceMesh.Matching;

/// <summary>A subject found by a search: its best-matching face and that face's cosine similarity.</summary>
public readonly record struct SubjectMatch(string SubjectId, string FaceId, float Score);
