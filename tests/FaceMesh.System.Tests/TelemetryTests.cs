using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using FaceMesh.Contracts.V1;
using Google.Protobuf;

namespace FaceMesh.SystemTests;

/// <summary>Traces across the fleet (W3C context over gRPC and over the bus) and the shape of the metrics.</summary>
[Collection(EnrollmentEventsCollection.Name)]
public sealed class TelemetryTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>, IDisposable
{
    private readonly ConcurrentBag<Activity> _spans = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = _ => true,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private void Listen()
    {
        _listener.ActivityStopped = _spans.Add;
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private static readonly ActivitySource Test = new("FaceMesh.Tests");

    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    /// <summary>Runs the call under a root span of its own (other tests run in parallel) and returns every span of its trace.</summary>
    private async Task<Activity[]> Traced(Func<Task> call)
    {
        ActivityTraceId trace;
        using (var root = Test.StartActivity("test-request")!)
        {
            trace = root.TraceId;
            await call(); // the client's HttpClient span carries the context to the Gateway
        }
        await Task.Delay(300); // the server spans stop just after the answer
        return _spans.Where(s => s.TraceId == trace).ToArray();
    }

    [Fact]
    public async Task A_verify_is_one_trace_from_the_gateway_through_the_detector_and_the_embedder()
    {
        Listen();
        var trace = await Traced(() => fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo("obama.jpg"), ReferenceImage = Photo("obama2.jpg") }).ResponseAsync);
        var names = trace.Select(s => s.OperationName).ToHashSet();
        Assert.Contains("decode", names);
        Assert.Contains("detect", names);
        Assert.Contains("align", names);
        Assert.Contains("embed", names);
        // Server spans of the Gateway (Verify), the Detector (Detect, twice) and the Embedder (Embed) share the trace.
        var servers = trace.Where(s => s.Kind == ActivityKind.Server).Select(s => s.DisplayName).ToArray();
        Assert.Contains(servers, n => n.Contains("FaceMeshApi/Verify"));
        Assert.Equal(2, servers.Count(n => n.Contains("DetectorService/Detect")));
        Assert.Contains(servers, n => n.Contains("EmbedderService/Embed"));
        // The model run that served the request links to its embed span, and records its batch size.
        var embed = trace.Single(s => s.OperationName == "embed");
        var batch = _spans.First(s => s.OperationName == "embed.batch" && s.Links.Any(l => l.Context.SpanId == embed.SpanId));
        Assert.Equal(2, batch.GetTagItem("facemesh.batch_size")); // two faces; the default pack embeds without flip augmentation
    }

    [Fact]
    public async Task An_enrollment_event_continues_the_enroll_trace_into_the_matcher()
    {
        Listen();
        await using var pair = await fleet.StartInMemoryBusPair();
        var client = pair.Client;
        var trace = await Traced(() => client.EnrollAsync(new EnrollRequest
        {
            Gallery = "traced", SubjectId = "obama", Photos = { new EnrollPhoto { Image = Photo("obama.jpg") } }, WaitUntilSearchable = true,
        }).ResponseAsync);
        Assert.Contains(trace, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("FaceMeshApi/Enroll"));
        Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer);
        Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer);
    }

    [Fact]
    public async Task Metrics_have_units_bounded_labels_and_no_identities()
    {
        await fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo("obama.jpg"), ReferenceImage = Photo("obama2.jpg") });
        var gateway = await fleet.Gateway.Http.GetStringAsync("/metrics");
        // The service's own label is facemesh_service, never "service": a Kubernetes scrape sets service to the Service's name.
        Assert.Matches(new Regex("facemesh_rpc_server_duration_seconds_bucket\\{(?=[^}]*code=\"OK\")(?=[^}]*method=\"Verify\")(?=[^}]*facemesh_service=\"facemesh-gateway\")"), gateway);
        Assert.DoesNotMatch(new Regex("facemesh_rpc_server_duration_seconds_bucket\\{[^}]*\\bservice="), gateway);
        var detector = await fleet.Detector.Http.GetStringAsync("/metrics");
        Assert.Contains("facemesh_detector_duration_seconds_bucket", detector);
        Assert.Contains("facemesh_detector_faces_bucket", detector);
        Assert.Contains("dotnet_gc_heap_total_allocated_bytes_total", detector); // process health: the runtime's own meter
        foreach (var exposition in new[] { gateway, detector, await fleet.Embedder.Http.GetStringAsync("/metrics"), await fleet.Matcher.Http.GetStringAsync("/metrics") })
            foreach (Match sample in Regex.Matches(exposition, "^facemesh_[a-z_]+\\{([^}]*)\\}", RegexOptions.Multiline))
                Assert.DoesNotMatch("(^|,)(subject|subject_id|face_id|tenant|gallery)=", sample.Groups[1].Value);
    }
}
