using System.Collections.Concurrent;
using FaceMesh.Contracts.V1;
using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Matcher;
using FaceMesh.Messaging.V1;
using Google.Protobuf;
using Grpc.Core;
using MassTransit;

namespace FaceMesh.SystemTests;

/// <summary>
/// The fleet with enrollment events on a real RabbitMQ (its own virtual host): a Gateway publishing with
/// publisher confirms to a Matcher; tests that need a second replica (own queue, own embedded store) start
/// one. (Two Matchers in one test process would share the process-wide meter, so one runs at a time where
/// tests read /metrics.)
/// </summary>
public sealed class BusFleet : IAsyncLifetime
{
    public string VirtualHost { get; } = "facemesh-test-" + Guid.NewGuid().ToString("N")[..8];
    public string? SkipReason { get; private set; }
    public LoopbackService Detector { get; private set; } = null!;
    public LoopbackService Embedder { get; private set; } = null!;
    public LoopbackService MatcherA { get; private set; } = null!;
    public LoopbackService Gateway { get; private set; } = null!;

    public FaceMeshApi.FaceMeshApiClient Client => new(Gateway.Channel);

    public string[] BusSettings => ["--Bus:Transport=RabbitMq", $"--Bus:VirtualHost={VirtualHost}", "--Bus:RetryAttempts=3", "--Bus:RetryIntervalMilliseconds=50"];

    public async Task InitializeAsync()
    {
        SkipReason = RabbitMq.SkipReason();
        if (SkipReason is not null)
            return;
        RabbitMq.Script("add-vhost", VirtualHost);
        Detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}");
        Embedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={TestPaths.DefaultPack}");
        MatcherA = await LoopbackService.Start(MatcherHost.Build, [.. BusSettings, "--Bus:Queue=matcher-a"]);
        Gateway = await LoopbackService.Start(GatewayHost.Build, [.. BusSettings, "--Bus:PublishTimeoutSeconds=2", LoopbackFleet.Anonymous,
            $"--Gateway:DetectorAddress={Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={MatcherA.GrpcAddress}", "--Gateway:EnrollmentWaitSeconds=30"]);
    }

    /// <summary>A second Matcher with its own queue and store; it receives every event published after it started.</summary>
    public Task<LoopbackService> StartReplica() => LoopbackService.Start(MatcherHost.Build, [.. BusSettings, "--Bus:Queue=matcher-b"]);

    /// <summary>Publishes events as the Gateway would (for redelivery and failure cases), on a bus of its own.</summary>
    public Task Publish(params object[] events) => RabbitMq.Publish(VirtualHost, events);

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
            return;
        foreach (var service in new[] { Gateway, MatcherA, Embedder, Detector })
            await service.DisposeAsync();
        RabbitMq.Script("delete-vhost", VirtualHost);
    }
}

/// <summary>The tests that count enrollment events (one process-wide meter) run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class EnrollmentEventsCollection
{
    public const string Name = "enrollment events";
}

[Collection(EnrollmentEventsCollection.Name)]
public sealed class EnrollmentBusTests(BusFleet fleet) : IClassFixture<BusFleet>
{
    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    private static EnrollRequest Enrollment(string gallery, string subject, string photo, bool wait = true) =>
        new() { Gallery = gallery, SubjectId = subject, Photos = { new EnrollPhoto { Image = Photo(photo) } }, WaitUntilSearchable = wait };

    private static GalleryRef Ref(string gallery) => new() { Tenant = "default", Gallery = gallery };

    private static MatcherService.MatcherServiceClient Matcher(LoopbackService service) => new(service.Channel);

    private static async Task<bool> Await(LoopbackService matcher, string gallery, IEnumerable<string> faceIds, bool absent = false, int seconds = 30)
    {
        var request = new AwaitFacesRequest { Gallery = Ref(gallery), Absent = absent };
        request.FaceIds.Add(faceIds);
        try
        {
            return (await Matcher(matcher).AwaitFacesAsync(request, deadline: DateTime.UtcNow.AddSeconds(seconds))).Done;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return false; // not done in time (on a loaded machine the "not yet" answer itself can miss a short deadline)
        }
    }

    private void SkipWithoutBroker() => Skip.If(fleet.SkipReason is not null, fleet.SkipReason);

    [SkippableFact]
    public async Task An_enrollment_that_waits_is_searchable_when_it_returns_and_reaches_every_matcher()
    {
        SkipWithoutBroker();
        await using var replica = await fleet.StartReplica();
        var enrolled = await fleet.Client.EnrollAsync(Enrollment("bus-enroll", "obama", "obama.jpg"));
        Assert.True(enrolled.Searchable);
        // Read-your-writes: Identify right after the answer finds the subject.
        var identified = await fleet.Client.IdentifyAsync(new IdentifyRequest { Gallery = "bus-enroll", Image = Photo("obama2.jpg") });
        Assert.Equal("obama", identified.Faces[0].Candidates[0].SubjectId);
        Assert.True(identified.Faces[0].Match);
        // The second Matcher consumed the same event from its own queue.
        Assert.True(await Await(replica, "bus-enroll", [enrolled.Faces[0].FaceId]));
        // The same photo again (a retry) is the same face: nothing is added.
        var again = await fleet.Client.EnrollAsync(Enrollment("bus-enroll", "obama", "obama.jpg"));
        Assert.Equal(enrolled.Faces[0].FaceId, again.Faces[0].FaceId);
        Assert.Single((await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "bus-enroll", SubjectId = "obama" })).FaceIds);
    }

    [SkippableFact]
    public async Task A_deletion_returns_once_applied_and_the_subject_is_gone_from_every_matcher()
    {
        SkipWithoutBroker();
        await using var replica = await fleet.StartReplica();
        var enrolled = await fleet.Client.EnrollAsync(Enrollment("bus-delete", "biden", "biden.jpg"));
        Assert.True(await Await(replica, "bus-delete", [enrolled.Faces[0].FaceId]));
        var deleted = await fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "bus-delete", SubjectId = "biden" });
        Assert.Equal(1, deleted.DeletedFaces);
        var e = await Assert.ThrowsAsync<RpcException>(() => fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "bus-delete", SubjectId = "biden" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.True(await Await(replica, "bus-delete", [enrolled.Faces[0].FaceId], absent: true));
        var search = await Matcher(replica).SearchAsync(new SearchRequest
        {
            Gallery = Ref("bus-delete"), TopK = 5,
            Queries = { new Contracts.V1.Embedding { Values = { new float[FaceMesh.ModelPacks.ModelPack.Load(TestPaths.DefaultPack, verifyFiles: false).Manifest.EmbeddingModels.Sum(e => e.EmbeddingSize)] }, ModelId = enrolled.ModelId } },
        });
        Assert.Empty(search.Results[0].Matches);
        // Deleting again: the subject does not exist.
        var again = await Assert.ThrowsAsync<RpcException>(() => fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "bus-delete", SubjectId = "biden" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    private static FaceEnrolled Event(string gallery, string subject, string faceId, string model, int seed)
    {
        var random = new Random(seed);
        var v = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return new FaceEnrolled
        {
            Tenant = "default", Gallery = gallery, SubjectId = subject, FaceId = faceId, ModelId = model,
            Embedding = v.Select(x => x / norm).ToArray(), Quality = 0.9f, EnrolledAt = DateTimeOffset.UtcNow,
        };
    }

    private async Task<double> EventsApplied(LoopbackService matcher) =>
        PrometheusText.Sample(await matcher.Http.GetStringAsync("/metrics"), "facemesh_enrollment_events_total", "type=\"face_enrolled\"");

    [SkippableFact]
    public async Task A_redelivered_event_is_applied_again_and_changes_nothing()
    {
        SkipWithoutBroker();
        var e = Event("bus-duplicates", "dana", "dana-1", "model-x", seed: 1);
        await fleet.Publish(e);
        Assert.True(await Await(fleet.MatcherA, "bus-duplicates", ["dana-1"]));
        // The counter is the Matcher's, shared with this fleet's other tests: start once their late events have landed.
        double before = await EventsApplied(fleet.MatcherA);
        for (int i = 0; i < 20; i++)
        {
            await Task.Delay(250);
            double now = await EventsApplied(fleet.MatcherA);
            if (now == before)
                break;
            before = now;
        }
        await fleet.Publish(e, e); // delivered twice more
        for (int i = 0; i < 300 && await EventsApplied(fleet.MatcherA) < before + 2; i++)
            await Task.Delay(50);
        Assert.Equal(before + 2, await EventsApplied(fleet.MatcherA));
        var stats = await Matcher(fleet.MatcherA).GetGalleryStatsAsync(new GetGalleryStatsRequest { Gallery = Ref("bus-duplicates") });
        Assert.Equal((1L, 1L), (stats.Subjects, stats.Faces));
    }

    [SkippableFact]
    public async Task An_event_that_cannot_be_applied_goes_to_the_error_queue_and_the_gateway_refuses_the_same_mistake()
    {
        SkipWithoutBroker();
        int before = RabbitMq.Messages(fleet.VirtualHost, "matcher-a_error"); // other tests of this fleet may have left some
        await fleet.Publish(Event("bus-errors", "erin", "erin-1", "model-x", seed: 2));
        // Up to a minute: once, in a full run on the 2 cores, this first event took longer than 30 s to arrive.
        Assert.True(await Await(fleet.MatcherA, "bus-errors", ["erin-1"], seconds: 60));
        // An embedding of another model: retrying cannot fix it, so it goes straight to the error queue.
        await fleet.Publish(Event("bus-errors", "erin", "erin-2", "model-y", seed: 3));
        int errors = 0;
        for (int i = 0; i < 100 && errors < before + 1; i++)
        {
            await Task.Delay(100);
            errors = RabbitMq.Messages(fleet.VirtualHost, "matcher-a_error");
        }
        Assert.Equal(before + 1, errors);
        Assert.False(await Await(fleet.MatcherA, "bus-errors", ["erin-2"], seconds: 1));
        await Task.Delay(500); // /metrics may be cached briefly
        var failures = PrometheusText.Sample(await fleet.MatcherA.Http.GetStringAsync("/metrics"), "facemesh_enrollment_failures_total", "error=\"ModelMismatchException\"");
        Assert.Equal(1, failures); // one delivery: no retries of a permanent error
        // Through the Gateway the mismatch is refused before anything is published.
        var refused = await Assert.ThrowsAsync<RpcException>(() => fleet.Client.EnrollAsync(Enrollment("bus-errors", "obama", "obama.jpg")).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("model-x", refused.Status.Detail);
    }

    private async Task<double> InvalidEvents() =>
        PrometheusText.Sum(
            await fleet.MatcherA.Http.GetStringAsync("/metrics"), "facemesh_enrollment_failures_total", "error=\"InvalidEventException\"");

    [SkippableFact]
    public async Task Malformed_events_go_to_the_error_queue_at_once_and_change_nothing()
    {
        SkipWithoutBroker();
        // The error queue and the failure counter are shared with this fleet's other tests (an event of theirs that
        // exhausted its retries may land while this one runs): counted from here, at least ours in the queue, exactly
        // ours among the invalid events.
        int before = RabbitMq.Messages(fleet.VirtualHost, "matcher-a_error");
        double invalidBefore = await InvalidEvents();
        var good = Event("bus-malformed", "fay", "fay-1", "model-x", seed: 4);
        await fleet.Publish(
            good with { FaceId = "nan-1", Embedding = [] }, // (a NaN cannot even be written as JSON: EventChecksTests has it)
            good with { FaceId = "long-1", Gallery = new string('g', 300) },
            good with { FaceId = "crlf-1", SubjectId = "fay\r\nadmin" },
            good with { FaceId = "scaled-1", Embedding = good.Embedding.Select(v => v * 3).ToArray() },
            new SubjectDeleted { Tenant = "default", Gallery = "bus-malformed", SubjectId = "", DeletedAt = DateTimeOffset.UtcNow });
        int errors = 0;
        for (int i = 0; i < 100 && (errors < before + 5 || await InvalidEvents() < invalidBefore + 5); i++)
        {
            await Task.Delay(100);
            errors = RabbitMq.Messages(fleet.VirtualHost, "matcher-a_error");
        }
        await Task.Delay(500); // /metrics may be cached briefly: a sixth delivery would show by now
        Assert.True(errors >= before + 5, $"{errors - before} of the 5 malformed events reached the error queue");
        Assert.Equal(invalidBefore + 5, await InvalidEvents()); // one delivery each
        // The good one still goes through; none of the malformed ones was stored.
        await fleet.Publish(good);
        Assert.True(await Await(fleet.MatcherA, "bus-malformed", ["fay-1"]));
        Assert.False(await Await(fleet.MatcherA, "bus-malformed", ["nan-1", "crlf-1", "scaled-1"], seconds: 1));
    }

    [SkippableFact]
    public async Task Enrollments_that_arrive_after_their_subjects_deletion_stay_deleted_across_matchers_sharing_a_queue()
    {
        SkipWithoutBroker();
        // With Qdrant (FACEMESH_QDRANT_URL) two Matchers share one queue and one store, as in the chart; without it one
        // Matcher with the embedded store takes the same reordered events (the tombstones are the same code path per store).
        string? qdrant = Environment.GetEnvironmentVariable("FACEMESH_QDRANT_URL");
        string prefix = "facemesh_order_" + Guid.NewGuid().ToString("N")[..8];
        string[] store = string.IsNullOrEmpty(qdrant) ? [] : ["--Matcher:Store=Qdrant", $"--Matcher:Qdrant:Url={qdrant}", $"--Matcher:Qdrant:CollectionPrefix={prefix}"];
        var matchers = new List<LoopbackService>();
        for (int i = 0; i < (store.Length > 0 ? 2 : 1); i++)
            matchers.Add(await LoopbackService.Start(MatcherHost.Build, [.. fleet.BusSettings, "--Bus:Queue=matcher-order", .. store]));
        try
        {
            var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
            var enrolled = Enumerable.Range(0, 60).Select(i => Event("bus-order", $"p{i}", $"old-{i}", "model-x", seed: 7000 + i) with { EnrolledAt = t0.AddSeconds(i) }).ToArray();
            var deleted = Enumerable.Range(0, 60).Select(i => new SubjectDeleted
            { Tenant = "default", Gallery = "bus-order", SubjectId = $"p{i}", DeletedAt = t0.AddSeconds(100 + i) }).ToArray();
            var again = Enumerable.Range(0, 30).Select(i => Event("bus-order", $"p{i}", $"new-{i}", "model-x", seed: 8000 + i) with { EnrolledAt = t0.AddSeconds(200 + i) }).ToArray();
            // A gallery to hold them, then the deletions before the enrollments they erase (deliberately reordered),
            // then the redelivered old enrollments again, then enrollments made after the deletions.
            var anchorFace = Event("bus-order", "anchor", "anchor-1", "model-x", seed: 6999);
            await fleet.Publish(anchorFace);
            Assert.True(await Await(matchers[0], "bus-order", ["anchor-1"]));
            await fleet.Publish([.. deleted, .. enrolled, .. enrolled, .. again]);
            Assert.True(await Await(matchers[0], "bus-order", again.Select(e => e.FaceId)), "the enrollments after the deletions were applied");
            var client = Matcher(matchers[0]);
            var stats = await client.GetGalleryStatsAsync(new GetGalleryStatsRequest { Gallery = Ref("bus-order") });
            Console.WriteLine($"Reordered events ({matchers.Count} Matcher(s), {(store.Length > 0 ? "Qdrant" : "embedded")}): " +
                              $"{stats.Faces - 31} of 60 faces enrolled before their subject's deletion came back; {again.Length} later enrollments kept");
            Assert.Equal((31L, 31L), (stats.Subjects, stats.Faces)); // the anchor and the 30 enrolled again: none of the 60 old faces
            Assert.False(await Await(matchers[0], "bus-order", enrolled.Select(e => e.FaceId), seconds: 2));
        }
        finally
        {
            foreach (var m in matchers)
                await m.DisposeAsync();
            if (store.Length > 0)
                new FaceMesh.Matching.Qdrant.QdrantVectorStore(new() { Url = qdrant!, CollectionPrefix = prefix }).DropCollectionsAsync().GetAwaiter().GetResult();
        }
    }

    [SkippableFact]
    public async Task A_matcher_killed_with_sigkill_while_consuming_loses_no_confirmed_event()
    {
        SkipWithoutBroker();
        // A durable Matcher process of its own (own queue), killed in the middle of 600 confirmed events and restarted
        // on the same data directory: the events it had not acknowledged to the broker are delivered again.
        var data = TestPaths.NewTempDirectory();
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        string[] settings = [.. fleet.BusSettings, "--Bus:Queue=matcher-crash", $"--Matcher:Embedded:DataDirectory={data}",
                             $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"];
        var process = MatcherProcess.Start(settings);
        var events = Enumerable.Range(0, 600).Select(i => Event("bus-crash", $"s{i}", $"crash-{i}", "model-x", seed: 100 + i)).ToArray();
        long facesAtKill = 0;
        Task publishing;
        try
        {
            await TestProcess.WaitReady(http);
            publishing = fleet.Publish(events); // each Publish returns once the broker confirmed it
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var client = new MatcherService.MatcherServiceClient(channel);
            for (int i = 0; i < 400; i++)
            {
                try
                {
                    var stats = await client.GetGalleryStatsAsync(new GetGalleryStatsRequest { Gallery = Ref("bus-crash") });
                    facesAtKill = stats.Faces;
                    if (stats.Faces >= 150)
                        break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                }
                await Task.Delay(10);
            }
            process.Kill(); // SIGKILL in the middle of consumption
            await publishing; // the rest is confirmed while the Matcher is down
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit();
        }
        var restarted = MatcherProcess.Start(settings);
        try
        {
            await TestProcess.WaitReady(http);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var request = new AwaitFacesRequest { Gallery = Ref("bus-crash") };
            request.FaceIds.Add(events.Select(e => e.FaceId));
            var result = await new MatcherService.MatcherServiceClient(channel).AwaitFacesAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
            Console.WriteLine($"Matcher SIGKILL during consumption: 600 confirmed events, {facesAtKill} applied at the kill, lost {result.Pending.Count}");
            Assert.InRange(facesAtKill, 150, 599); // the kill came in the middle
            Assert.Empty(result.Pending);
        }
        finally
        {
            restarted.Kill();
            restarted.WaitForExit();
        }
    }

    [SkippableFact]
    public async Task A_full_disk_for_60_s_in_the_middle_of_500_enrollments_loses_none_and_sends_none_to_the_error_queue()
    {
        SkipWithoutBroker();
        // A real full disk: the Matcher's data directory is a 4 MB tmpfs (mounting needs root; tests/run runs as root).
        var mounted = SmallDisk.Mount(4);
        Skip.If(mounted is null, "Mounting a tmpfs needs root (tests/run runs as root): the full-disk outage is not simulated here.");
        using var disk = mounted;
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        string[] settings = [.. fleet.BusSettings, "--Bus:Queue=matcher-disk", $"--Matcher:Embedded:DataDirectory={disk.Path}",
                             "--Matcher:StoreRetry:MaxDelayMilliseconds=2000", "--Bus:ConcurrentMessageLimit=4",
                             $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"];
        var output = new ConcurrentQueue<string>();
        var process = TestProcess.StartService("Matcher", settings, output);
        try
        {
            await TestProcess.WaitReady(http);
            using var metricsClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            async Task<string> Metrics() => await metricsClient.GetStringAsync("/metrics");
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var client = new MatcherService.MatcherServiceClient(channel);
            async Task<AwaitFacesResponse> AwaitAll(IEnumerable<FaceEnrolled> events, int seconds)
            {
                var request = new AwaitFacesRequest { Gallery = Ref("bus-disk") };
                request.FaceIds.Add(events.Select(e => e.FaceId));
                return await client.AwaitFacesAsync(request, deadline: DateTime.UtcNow.AddSeconds(seconds));
            }
            var events = Enumerable.Range(0, 500).Select(i => Event("bus-disk", $"s{i % 97}", $"disk-{i}", "model-x", seed: 5000 + i)).ToArray();
            await fleet.Publish(events[..100]);
            Assert.Empty((await AwaitAll(events[..100], 60)).Pending);

            disk.Fill(); // the disk is full from here on
            var outage = System.Diagnostics.Stopwatch.StartNew();
            await fleet.Publish(events[100..]); // confirmed by the broker while the store cannot write
            double available = 1;
            for (int i = 0; i < 200 && available != 0; i++)
            {
                await Task.Delay(100);
                available = PrometheusText.Sample(await Metrics(), "facemesh_matcher_store_available");
            }
            Assert.Equal(0, available); // the outage shows
            var during = await AwaitAll(events[100..], 1);
            Assert.NotEmpty(during.Pending); // nothing can be written...
            await Task.Delay(TimeSpan.FromSeconds(60) - outage.Elapsed);
            Assert.Equal(0, RabbitMq.Messages(fleet.VirtualHost, "matcher-disk_error")); // ...and nothing was given up on
            double outageSeconds = PrometheusText.Sample(await Metrics(), "facemesh_matcher_store_outage_seconds");
            Assert.InRange(outageSeconds, 50, 120);

            disk.Free(); // the disk has room again
            var drain = System.Diagnostics.Stopwatch.StartNew();
            var after = await AwaitAll(events, 90);
            drain.Stop();
            var metrics = await Metrics();
            double retries = PrometheusText.Sum(metrics, "facemesh_enrollment_store_retries_total", "error=\"IOException\"");
            Console.WriteLine($"Full disk for {outage.Elapsed.TotalSeconds:F0} s during 500 enrollments: {after.Pending.Count} lost, " +
                              $"{RabbitMq.Messages(fleet.VirtualHost, "matcher-disk_error")} in the error queue, {retries} retried attempts, " +
                              $"drained {drain.Elapsed.TotalSeconds:F1} s after the disk had room");
            Assert.Empty(after.Pending);
            Assert.Equal(0, RabbitMq.Messages(fleet.VirtualHost, "matcher-disk_error"));
            Assert.Equal(0, RabbitMq.Messages(fleet.VirtualHost, "matcher-disk"));
            Assert.True(retries > 0);
            Assert.Equal(1, PrometheusText.Sample(metrics, "facemesh_matcher_store_available"));
            Assert.Contains(output, line => line.Contains("The store is failing (IOException"));
            Assert.Contains(output, line => line.Contains("The store is back after"));
            // Every face is searchable: each event's own embedding finds its face first.
            var search = await client.SearchAsync(new SearchRequest
            {
                Gallery = Ref("bus-disk"), TopK = 1,
                Queries = { events.Where((_, i) => i % 50 == 0).Select(e => new Contracts.V1.Embedding { Values = { e.Embedding }, ModelId = "model-x" }) },
            });
            Assert.Equal(events.Where((_, i) => i % 50 == 0).Select(e => e.SubjectId), search.Results.Select(r => r.Matches[0].SubjectId));
            Assert.Equal(500, (await client.GetGalleryStatsAsync(new GetGalleryStatsRequest { Gallery = Ref("bus-disk") })).Faces);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit();
        }
    }

    [SkippableFact]
    public async Task A_broker_outage_during_500_enrollments_loses_no_acknowledged_one()
    {
        SkipWithoutBroker();
        const int total = 500;
        string[] photos = ["obama-240p.jpg", "obama_small.jpg", "obama-480p.jpg"]; // small photos: the test is about the broker
        var acknowledged = new ConcurrentBag<string>();
        var errors = new ConcurrentBag<StatusCode>();
        int next = -1;
        // The first 100 go with the broker up; the other 400 wait until it is down, so the outage always falls inside the
        // burst (on a fast machine the whole burst could otherwise end before the broker has stopped).
        var brokerDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outage = Task.Run(async () =>
        {
            while (acknowledged.Count + errors.Count < 100)
                await Task.Delay(10);
            try
            {
                RabbitMq.Script("stop-app");
            }
            catch (Exception e)
            {
                brokerDown.SetException(e); // the workers fail with it instead of waiting forever
                throw;
            }
            brokerDown.SetResult();
            await Task.Delay(TimeSpan.FromSeconds(4)); // longer than the Gateway's publish timeout (2 s)
            RabbitMq.Script("start-app");
        });
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < total;)
            {
                if (i >= 100)
                    await brokerDown.Task;
                try
                {
                    var answer = await fleet.Client.EnrollAsync(Enrollment("bus-outage", $"s{i:D3}", photos[i % photos.Length], wait: false),
                        deadline: DateTime.UtcNow.AddSeconds(60));
                    acknowledged.Add(answer.Faces[0].FaceId);
                }
                catch (RpcException e)
                {
                    errors.Add(e.StatusCode);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await outage;

        var ids = acknowledged.ToArray();
        // The Matcher reconnects on its own and drains its queue; give it up to three minutes on a busy machine.
        var result = new AwaitFacesResponse();
        var until = DateTime.UtcNow.AddMinutes(3);
        do
        {
            var request = new AwaitFacesRequest { Gallery = Ref("bus-outage") };
            request.FaceIds.Add(ids);
            result = await Matcher(fleet.MatcherA).AwaitFacesAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        } while (!result.Done && DateTime.UtcNow < until);
        Console.WriteLine($"broker outage during {total} enrollments: acknowledged {ids.Length}, failed with an error {errors.Count} " +
                          $"({string.Join(", ", errors.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}), lost {result.Pending.Count}");
        Assert.Equal(total, ids.Length + errors.Count);
        Assert.NotEmpty(errors); // the outage was felt
        Assert.All(errors, status => Assert.Equal(StatusCode.Unavailable, status));
        Assert.Empty(result.Pending); // lost = 0
        Assert.True(result.Done);
    }

    private static PeoplePhoto[] KnnPhotos(params string[] people) => people
        .SelectMany(person => Directory.GetFiles(Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train",
            person)).Order(StringComparer.Ordinal))
        .Select(path => new PeoplePhoto
        {
            PhotoId = $"{Path.GetFileName(Path.GetDirectoryName(path))}/{Path.GetFileName(path)}",
            Image = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) }
        })
        .ToArray();

    /// <summary>The Matcher's people of the gallery, as text; empty while the Matcher has not seen the gallery yet.</summary>
    private static async Task<string> PeopleOf(LoopbackService matcher, string gallery)
    {
        try
        {
            var page = await Matcher(matcher).PagePeopleAsync(new PagePeopleRequest { Gallery = Ref(gallery), IncludeSingleFaces = true });
            return string.Join("; ", page.People.Select(p => $"{p.PersonId} {p.FaceCount} {string.Join(",", p.PhotoIds)}"));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return ""; // its events are still on the way
        }
    }

    [SkippableFact]
    public async Task Photos_added_through_the_broker_are_grouped_when_the_call_returns_and_alike_on_every_matcher()
    {
        SkipWithoutBroker();
        await using var replica = await fleet.StartReplica();
        const string gallery = "bus-people";
        var request = new AddPhotosRequest
        {
            Gallery = gallery, WaitUntilGrouped = true, Photos = { KnnPhotos("obama", "biden",
            "kit_harington") }
        };
        var added = await fleet.Client.AddPhotosAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.True(added.Grouped);
        Assert.All(added.Photos, p => Assert.NotEqual("", p.Faces.MaxBy(f => f.Face.Box.Width * f.Face.Box.Height)!.PersonId));
        var people = await fleet.Client.ListPeopleAsync(new ListPeopleRequest { Gallery = gallery });
        Assert.Equal([2, 2, 2], people.People.Select(p => p.FaceCount));

        // A correction travels as an event too, and is applied when the call returns.
        var obama = people.People.Single(p => p.PhotoIds.Contains("obama/obama.jpg"));
        var biden = people.People.Single(p => p.PhotoIds.Contains("biden/biden.jpg"));
        var merged = await fleet.Client.MergePeopleAsync(new MergePeopleRequest
        {
            Gallery = gallery, PersonId = obama.PersonId,
            OtherPersonIds = { biden.PersonId }
        });
        Assert.Equal(4, merged.FaceCount);
        Assert.Equal(2, (await fleet.Client.ListPeopleAsync(new ListPeopleRequest { Gallery = gallery })).People.Count);
        // A refusal comes back before anything is published.
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            fleet.Client.MergePeopleAsync(new MergePeopleRequest
            {
                Gallery = gallery, PersonId = obama.PersonId,
                OtherPersonIds = { biden.PersonId }
            }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);

        // The replica consumed the same events from its own queue: the same people, with the same ids.
        string expected = await PeopleOf(fleet.MatcherA, gallery), seen = "";
        for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until && seen != expected; await Task.Delay(100))
            seen = await PeopleOf(replica, gallery);
        Assert.Equal(expected, seen);

        // Without waiting, the call returns once the broker has the photos; they are grouped soon after.
        var later = await fleet.Client.AddPhotosAsync(new AddPhotosRequest { Gallery = gallery, Photos = { KnnPhotos("rose_leslie") } },
            deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.False(later.Grouped);
        Assert.All(later.Photos.SelectMany(p => p.Faces), f => Assert.Equal("", f.PersonId));
        int roses = 0;
        for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until && roses != 2; await Task.Delay(100))
            roses = (await fleet.Client.ListPeopleAsync(new ListPeopleRequest { Gallery = gallery })).People
                .SingleOrDefault(p => p.PhotoIds.Contains("rose_leslie/img1.jpg"))?.FaceCount ?? 0;
        Assert.Equal(2, roses);
    }
}

/// <summary>The single-process mode's bus: MassTransit's in-memory transport, shared by the Gateway and the Matcher.</summary>
[Collection(EnrollmentEventsCollection.Name)]
public sealed class InMemoryBusTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    [Fact]
    public async Task Enrollment_and_deletion_travel_on_the_in_memory_bus()
    {
        await using var pair = await fleet.StartInMemoryBusPair();
        var (matcher, client) = (pair.Matcher, pair.Client);
        var photo = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example("obama.jpg"))) };
        double before = await Applied(matcher);
        var enrolled = await client.EnrollAsync(new EnrollRequest { Gallery = "memory", SubjectId = "obama", Photos = { new EnrollPhoto { Image = photo } }, WaitUntilSearchable = true });
        Assert.True(enrolled.Searchable);
        for (int i = 0; i < 100 && await Applied(matcher) < before + 1; i++)
            await Task.Delay(50); // the counter follows the store by a moment, and /metrics may be cached briefly
        Assert.Equal(before + 1, await Applied(matcher)); // it came as an event, not as a direct call
        Assert.Equal(1, (await client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "memory", SubjectId = "obama" })).DeletedFaces);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GetSubjectAsync(new GetSubjectRequest { Gallery = "memory", SubjectId = "obama" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task People_changes_travel_on_the_in_memory_bus_and_are_applied_when_the_call_returns()
    {
        await using var pair = await fleet.StartInMemoryBusPair();
        var client = pair.Client;
        double before = await Applied(pair.Matcher, "people_changed");
        Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };
        var added = await client.AddPhotosAsync(new AddPhotosRequest
        {
            Gallery = "memory-people", WaitUntilGrouped = true,
            Photos =
            {
                new PeoplePhoto { PhotoId = "1", Image = Photo("obama.jpg") },
                new PeoplePhoto { PhotoId = "2", Image = Photo("obama2.jpg") },
                new PeoplePhoto { PhotoId = "3", Image = Photo("biden.jpg") },
            },
        });
        Assert.True(added.Grouped);
        Assert.Equal(added.Photos[0].Faces[0].PersonId, added.Photos[1].Faces[0].PersonId);
        Assert.NotEqual(added.Photos[0].Faces[0].PersonId, added.Photos[2].Faces[0].PersonId);
        string person = added.Photos[0].Faces[0].PersonId;
        var named = await client.NamePersonAsync(
            new NamePersonRequest { Gallery = "memory-people", PersonId = person, SubjectId = "obama" });
        Assert.Equal(2, named.FaceCount);
        for (int i = 0; i < 100 && await Applied(pair.Matcher, "people_changed") < before + 2; i++)
            await Task.Delay(50);
        Assert.Equal(before + 2, await Applied(pair.Matcher, "people_changed")); // both came as events, not as direct calls
    }

    private static async Task<double> Applied(LoopbackService matcher, string type = "face_enrolled")
    {
        var metrics = await matcher.Http.GetStringAsync("/metrics");
        return PrometheusText.Sum(metrics, "facemesh_enrollment_events_total", $"type=\"{type}\"");
    }

    [Fact]
    public void The_in_memory_bus_outside_the_single_process_mode_is_refused_with_the_fix()
    {
        // The addresses are given: the test's folder holds one service's appsettings.json, not necessarily the Gateway's.
        var e = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(["--Bus:Transport=InMemory", LoopbackFleet.Anonymous,
            "--Gateway:DetectorAddress=http://127.0.0.1:5010", "--Gateway:EmbedderAddress=http://127.0.0.1:5020", "--Gateway:MatcherAddress=http://127.0.0.1:5030"]));
        Assert.Contains("RabbitMq", e.Message);
    }
}
