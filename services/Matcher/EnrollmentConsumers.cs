using FaceMesh.Matching;
using FaceMesh.Messaging;
using FaceMesh.Messaging.V1;
using MassTransit;

namespace FaceMesh.Matcher;

/// <summary>Upserts an enrolled face; a redelivered event overwrites the same face id.</summary>
public sealed class FaceEnrolledConsumer(IVectorStore store, StoreRetry retry, GalleryChanges changes, MatcherMetrics metrics) : IConsumer<FaceEnrolled>
{
    public async Task Consume(ConsumeContext<FaceEnrolled> context)
    {
        var e = context.Message;
        try
        {
            EventChecks.Check(e);
            await retry.RunAsync("face_enrolled", cancellation => store.UpsertAsync(new GalleryKey(e.Tenant, e.Gallery),
                [new EnrolledFace(e.FaceId, e.SubjectId, e.Embedding, e.ModelId, e.Quality, e.EnrolledAt.ToUnixTimeMilliseconds())],
                cancellation), context.CancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, new("type", "face_enrolled"), new("error", error.GetType().Name));
            throw;
        }
        changes.Stored(new GalleryKey(e.Tenant, e.Gallery), [e.FaceId]);
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "face_enrolled"));
        if (e.EnrolledAt != default)
            metrics.Lag.Record(Math.Max(0, (DateTimeOffset.UtcNow - e.EnrolledAt).TotalSeconds));
    }
}

/// <summary>Erases a subject's faces and leaves its tombstone; a redelivered event finds nothing left to erase.</summary>
public sealed class SubjectDeletedConsumer(IVectorStore store, StoreRetry retry, GalleryChanges changes, MatcherMetrics metrics) : IConsumer<SubjectDeleted>
{
    public async Task Consume(ConsumeContext<SubjectDeleted> context)
    {
        var e = context.Message;
        try
        {
            EventChecks.Check(e);
            await retry.RunAsync("subject_deleted", cancellation => store.DeleteSubjectAsync(new GalleryKey(e.Tenant, e.Gallery), e.SubjectId,
                // The Gateway's time of the deletion: faces enrolled before it stay erased even if their event comes later.
                e.DeletedAt == default ? 0 : e.DeletedAt.ToUnixTimeMilliseconds(), cancellation),
                context.CancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, new("type", "subject_deleted"), new("error", error.GetType().Name));
            throw;
        }
        changes.Deleted();
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "subject_deleted"));
    }
}
