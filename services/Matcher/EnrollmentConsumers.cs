using FaceMesh.Matching;
using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;
using FaceMesh.Hosting;
using MassTransit;

namespace FaceMesh.Matcher;

/// <summary>Upserts an enrolled face through the <see cref="GalleryWriter"/>; a redelivered event overwrites the same face id.</summary>
public sealed class FaceEnrolledConsumer(GalleryWriter writer, StoreRetry retry, MatcherMetrics metrics) : IConsumer<FaceEnrolled>
{
    public async Task Consume(ConsumeContext<FaceEnrolled> context)
    {
        var e = context.Message;
        try
        {
            await retry.RunAsync("face_enrolled", cancellation => writer.UpsertAsync([e], cancellation), context.CancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, new("type", "face_enrolled"), new("error", error.GetType().Name));
            throw;
        }
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "face_enrolled"));
        if (e.EnrolledAt != default)
            metrics.Lag.Record(Math.Max(0, (DateTimeOffset.UtcNow - e.EnrolledAt).TotalSeconds));
    }
}

/// <summary>Erases a subject's faces and leaves its tombstone; a redelivered event finds nothing left to erase.</summary>
public sealed class SubjectDeletedConsumer(GalleryWriter writer, StoreRetry retry, MatcherMetrics metrics) : IConsumer<SubjectDeleted>
{
    public async Task Consume(ConsumeContext<SubjectDeleted> context)
    {
        var e = context.Message;
        try
        {
            // The Gateway's time of the deletion travels in the event: faces enrolled before it stay erased even if their
            // event comes later.
            await retry.RunAsync("subject_deleted", cancellation => writer.DeleteSubjectAsync(e, cancellation), context.CancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, new("type", "subject_deleted"), new("error", error.GetType().Name));
            throw;
        }
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "subject_deleted"));
    }
}

/// <summary>
/// Applies a change to a gallery's people (<see cref="People.PeopleBook"/>), once per change id. A change that cannot be
/// applied (the person was merged or deleted before it came) is acknowledged: its refusal is kept for the Gateway that
/// waits on it, which passes it to its caller; retrying it could not make it right.
/// </summary>
public sealed class PeopleChangedConsumer(People.PeopleBook people, StoreRetry retry, MatcherMetrics metrics,
    ILogger<PeopleChangedConsumer> log)
    : IConsumer<PeopleChanged>
{
    public async Task Consume(ConsumeContext<PeopleChanged> context)
    {
        var e = context.Message;
        Contracts.V1.PeopleChange change;
        try
        {
            change = Contracts.V1.PeopleChange.Parser.ParseFrom(e.Change);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException error)
        {
            throw new InvalidEventException($"PeopleChanged {EventChecks.Safe(e.ChangeId)}: the change cannot be read ({error.Message}).");
        }
        if (change.Gallery?.Tenant != e.Tenant || change.Gallery?.Gallery != e.Gallery || change.ChangeId != e.ChangeId)
            throw new InvalidEventException(
                $"PeopleChanged {EventChecks.Safe(e.ChangeId)}: the envelope and the change name different galleries or ids.");
        try
        {
            await retry.RunAsync("people_changed", cancellation => people.ApplyAsync(change, cancellation), context.CancellationToken);
        }
        catch (Exception error) when (People.PeopleBook.Refusal(error) is not null && error is not InvalidEventException)
        {
            log.LogWarning("People change {ChangeId} refused: {Reason}", EventChecks.Safe(e.ChangeId), LogText.Safe(error.Message, 500));
            metrics.Failures.Add(1, new("type", "people_changed"), new("error", error.GetType().Name));
            return;
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, new("type", "people_changed"), new("error", error.GetType().Name));
            throw;
        }
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "people_changed"));
        if (e.ChangedAt != default)
            metrics.Lag.Record(Math.Max(0, (DateTimeOffset.UtcNow - e.ChangedAt).TotalSeconds));
    }
}
