using MassTransit;

namespace FaceMesh.Messaging.V1;

// Enrollment events, version 1. A change that old consumers cannot read gets a new namespace (V2) and a
// new URN; adding a field with a default is compatible and stays in V1.

/// <summary>A face was enrolled: the Matcher upserts it (by face id, so a redelivery changes nothing).</summary>
[MessageUrn("facemesh.v1:face-enrolled", useDefaultPrefix: false)]
public sealed record FaceEnrolled
{
    public required string Tenant { get; init; }
    public required string Gallery { get; init; }
    public required string SubjectId { get; init; }
    public required string FaceId { get; init; }
    /// <summary>The unit embedding.</summary>
    public required float[] Embedding { get; init; }
    /// <summary>The model that made the embedding; a gallery holds one model's embeddings.</summary>
    public required string ModelId { get; init; }
    /// <summary>Overall face quality, 0 to 1.</summary>
    public float Quality { get; init; }
    /// <summary>When the Gateway accepted the enrollment (the start of the publish-to-searchable lag).</summary>
    public DateTimeOffset EnrolledAt { get; init; }
}

/// <summary>A subject was deleted: the Matcher erases every face of it.</summary>
[MessageUrn("facemesh.v1:subject-deleted", useDefaultPrefix: false)]
public sealed record SubjectDeleted
{
    public required string Tenant { get; init; }
    public required string Gallery { get; init; }
    public required string SubjectId { get; init; }
    public DateTimeOffset DeletedAt { get; init; }
}

/// <summary>
/// A change to a gallery's people (added faces, or a correction: merge, move, "not this person", name, delete,
/// regroup). <see cref="Change"/> is the internal contract's <c>PeopleChange</c> message (matcher.proto), serialised:
/// the change's fields are versioned there, the envelope here. The Matcher applies a change id once.
/// </summary>
[MessageUrn("facemesh.v1:people-changed", useDefaultPrefix: false)]
public sealed record PeopleChanged
{
    public required string Tenant { get; init; }
    public required string Gallery { get; init; }
    public required string ChangeId { get; init; }
    public required byte[] Change { get; init; }
    public DateTimeOffset ChangedAt { get; init; }
}
