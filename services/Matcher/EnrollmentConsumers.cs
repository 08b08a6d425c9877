using FaceMesh.Matching;
using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;
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
