using System.Diagnostics.Metrics;
using FaceMesh.Matching;
using FaceMesh.Messaging.V1;
using MassTransit;

namespace FaceMesh.Matcher;

/// <summary>
/// The Matcher's enrollment metrics (meter <c>FaceMesh.Matcher</c>, exported on <c>/metrics</c>). One meter per
/// process (<see cref="Shared"/>): OpenTelemetry merges same-named instruments of every meter in the process into
/// one stream and drops the stream when any of those meters is disposed, so a Matcher stopped in a process that
/// hosts another (tests, the single-process mode) would otherwise take the other's metrics with it.
/// </summary>
public sealed class EnrollmentMetrics
{
    public const string MeterName = FaceMesh.Hosting.FaceMeshService.MeterPrefix + "Matcher";
    private readonly Meter _meter = new(MeterName);

    public static EnrollmentMetrics Shared { get; } = new();

    private EnrollmentMetrics()
    {
        Lag = _meter.CreateHistogram<double>("facemesh.enrollment.lag", "s",
            "From the Gateway accepting an enrollment to its face being searchable here.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Events = _meter.CreateCounter<long>("facemesh.enrollment.events", "{event}", "Enrollment events applied, by type.");
        Failures = _meter.CreateCounter<long>("facemesh.enrollment.failures", "{event}", "Enrollment event deliveries that failed, by type and error.");
    }

    public Histogram<double> Lag { get; }
    public Counter<long> Events { get; }
    public Counter<long> Failures { get; }
}

/// <summary>Upserts an enrolled face; a redelivered event overwrites the same face id.</summary>
public sealed class FaceEnrolledConsumer(IVectorStore store, GalleryChanges changes, EnrollmentMetrics metrics) : IConsumer<FaceEnrolled>
{
    public async Task Consume(ConsumeContext<FaceEnrolled> context)
    {
        var e = context.Message;
        try
        {
            await store.UpsertAsync(new GalleryKey(e.Tenant, e.Gallery),
                [new EnrolledFace(e.FaceId, e.SubjectId, e.Embedding, e.ModelId, e.Quality, e.EnrolledAt.ToUnixTimeMilliseconds())],
                context.CancellationToken);
        }
        catch (Exception error)
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

/// <summary>Erases a subject's faces; a redelivered event finds nothing left to erase.</summary>
public sealed class SubjectDeletedConsumer(IVectorStore store, GalleryChanges changes, EnrollmentMetrics metrics) : IConsumer<SubjectDeleted>
{
    public async Task Consume(ConsumeContext<SubjectDeleted> context)
    {
        var e = context.Message;
        try
        {
            await store.DeleteSubjectAsync(new GalleryKey(e.Tenant, e.Gallery), e.SubjectId, context.CancellationToken);
        }
        catch (Exception error)
        {
            metrics.Failures.Add(1, new("type", "subject_deleted"), new("error", error.GetType().Name));
            throw;
        }
        changes.Deleted();
        metrics.Events.Add(1, new KeyValuePair<string, object?>("type", "subject_deleted"));
    }
}
