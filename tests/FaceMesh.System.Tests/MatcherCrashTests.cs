using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMesh.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMesh.SystemTests;

/// <summary>
/// The Matcher as a real process with a data directory, killed with SIGKILL in the middle of a burst
/// of enrollments and started again: every face it acknowledged is there afterwards.
/// </summary>
public sealed class MatcherCrashTests
{
    private static Process StartMatcher(string data, int grpc, int http) =>
        MatcherProcess.Start([$"--Matcher:Embedded:DataDirectory={data}", $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"]);

    private static Task WaitReady(int http) => TestProcess.WaitReady(http);

    [Fact]
    public async Task Every_acknowledged_enrollment_survives_kill_9_during_a_burst()
    {
        var data = TestPaths.NewTempDirectory();
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        var gallery = new GalleryRef { Tenant = "t", Gallery = "crash" };
        var process = StartMatcher(data, grpc, http);
        var acknowledged = new ConcurrentBag<string>();
        int attempted = 0, failed = 0;
        try
        {
            await WaitReady(http);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var client = new MatcherService.MatcherServiceClient(channel);
            var random = new Random(5);
            var burst = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (int i = 0; i < 400; i++)
                {
                    string id = $"w{worker}-{i}";
                    var vector = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray();
                    float length = MathF.Sqrt(vector.Sum(v => v * v));
                    vector = vector.Select(v => v / length).ToArray(); // the Matcher stores unit vectors only
                    Interlocked.Increment(ref attempted);
                    try
                    {
                        await client.UpsertFacesAsync(new UpsertFacesRequest
                        {
                            Gallery = gallery, SubjectId = id,
                            Faces = { new StoredFace { FaceId = id, Embedding = new Contracts.V1.Embedding { Values = { vector }, ModelId = "m" }, Quality = 1 } },
                        }, deadline: DateTime.UtcNow.AddSeconds(5));
                        acknowledged.Add(id);
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref failed);
                        return; // the Matcher is gone
                    }
                }
            })).ToArray();
            while (acknowledged.Count < 150)
                await Task.Delay(5);
            process.Kill(); // SIGKILL: no shutdown, no flush beyond what each acknowledgement already did
            await Task.WhenAll(burst);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit();
        }

        var restarted = StartMatcher(data, grpc, http);
        try
        {
            await WaitReady(http);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var client = new MatcherService.MatcherServiceClient(channel);
            var present = new HashSet<string>();
            string token = "";
            do
            {
                var page = await client.PageSubjectsAsync(new PageSubjectsRequest { Gallery = gallery, PageSize = 1000, PageToken = token });
                present.UnionWith(page.Subjects.SelectMany(s => s.FaceIds));
                token = page.NextPageToken;
            } while (token.Length > 0);
            var lost = acknowledged.Where(id => !present.Contains(id)).ToArray();
            Console.WriteLine($"kill -9 burst: attempted {attempted}, acknowledged {acknowledged.Count}, failed {failed}, lost {lost.Length}");
            Assert.True(acknowledged.Count >= 150);
            Assert.Empty(lost);
            // Nothing unacknowledged appears either, beyond requests in flight at the kill (at most one per worker).
            Assert.InRange(present.Count - acknowledged.Count, 0, 4);
        }
        finally
        {
            restarted.Kill();
            restarted.WaitForExit();
        }
    }
}

/// <summary>The Matcher as a real process (its apphost is copied next to the tests), for kill -9 tests.</summary>
public static class MatcherProcess
{
    public static Process Start(IEnumerable<string> settings) => TestProcess.StartService("Matcher", settings);
}
