using FaceMesh.Messaging.V1;

namespace FaceMesh.Messaging;

/// <summary>
/// What a consumer checks in an event before it changes a store: names (tenant, gallery, subject, face, model) present,
/// at most <see cref="MaxNameLength"/> characters and free of control characters; an embedding of a sane size whose
/// every value is finite and whose length is 1. An event that fails is malformed: retrying cannot fix it, so it goes
/// to the error queue at once (<see cref="InvalidEventException"/> is an <see cref="ArgumentException"/>).
/// </summary>
public static class EventChecks
{
    public const int MaxNameLength = 256;
    public const int MaxDimension = 8192;

    public static void Check(FaceEnrolled e)
    {
        Names(e.Tenant, e.Gallery, e.SubjectId);
        Name(e.FaceId, "face id");
        Face($"FaceEnrolled {Safe(e.FaceId)}", e.ModelId, e.Embedding, e.Quality);
    }

    /// <summary>A face's model id, embedding (finite, unit length, of a sane size) and quality (in [0, 1]).</summary>
    public static void Face(string what, string? modelId, IReadOnlyList<float>? embedding, float quality)
    {
        Name(modelId, "model id");
        if (embedding is null || embedding.Count is 0 or > MaxDimension)
            throw new InvalidEventException($"{what}: the embedding has {embedding?.Count ?? 0} values; 1 to {MaxDimension} are accepted.");
        double norm = 0;
        for (int i = 0; i < embedding.Count; i++)
        {
            float v = embedding[i];
            if (!float.IsFinite(v))
                throw new InvalidEventException($"{what}: embedding value {i} is {v}; every value must be finite.");
            norm += (double)v * v;
        }
        if (Math.Abs(Math.Sqrt(norm) - 1) > 1e-3)
            throw new InvalidEventException(
                $"{what}: the embedding's length is {Math.Sqrt(norm):G4}; FaceMesh embeddings are unit vectors.");
        if (!float.IsFinite(quality) || quality < 0 || quality > 1)
            throw new InvalidEventException($"{what}: quality {quality} is not in [0, 1].");
    }

    public static void Check(SubjectDeleted e) => Names(e.Tenant, e.Gallery, e.SubjectId);

    private static void Names(string tenant, string gallery, string subject)
    {
        Name(tenant, "tenant");
        Name(gallery, "gallery");
        Name(subject, "subject");
    }

    public static void Name(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidEventException($"The event has no {what}.");
        if (value.Length > MaxNameLength)
            throw new InvalidEventException($"The event's {what} is {value.Length} characters; at most {MaxNameLength} are accepted.");
        foreach (var c in value)
            if (char.IsControl(c))
                throw new InvalidEventException($"The event's {what} contains the control character U+{(int)c:X4}.");
    }

    public static string Safe(string? value) => value is null ? "(no id)" : value.Length > 64 ? value[..64] + "…" : value;
}

/// <summary>A malformed event: it goes to the error queue without retries.</summary>
public sealed class InvalidEventException(string message) : ArgumentException(message);
