using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMesh.Contracts.V1;
using FaceMesh.Messaging.V1;
using Grpc.Net.Client;
using MassTransit;

namespace FaceMesh.LoadGenerator;

/// <summary>
/// Enrollment events at a fixed rate: publishes <see cref="FaceEnrolled"/> to RabbitMQ (publisher confirms, as
/// the Gateway does; random unit embeddings, so the detector is not what is measured) and asks the Matcher
/// (AwaitFaces) when each face is searchable. Reports the events/s achieved and the publish-to-searchable lag.
/// </summary>
public static class EventLoad
{
    public sealed record Result(double TargetRate, double Seconds, int Published, int Searchable, int Failed,
        double EventsPerSecond, double? ConfirmP50Ms, double? LagP50Ms, double? LagP95Ms, double? LagP99Ms);

    public static async Task<Result> Run(Uri matcher, string brokerHost, string virtualHost, double rate, TimeSpan duration, Action<string> progress)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(brokerHost, 5672, virtualHost, h =>
        {
            h.Username("guest");
            h.Password("guest");
            h.PublisherConfirmation = true;
        }));
        await bus.StartAsync();
        using var channel = GrpcChannel.ForAddress(matcher);
        var client = new MatcherService.MatcherServiceClient(channel);
        string run = Guid.NewGuid().ToString("N")[..8];
        var gallery = new GalleryRef { Tenant = "load", Gallery = "events-" + run };
        var random = new Random(1);
        var vectors = Enumerable.Range(0, 64).Select(_ => Unit(random)).ToArray();
        var confirms = new ConcurrentBag<double>();
        var lags = new ConcurrentBag<double>();
        int failed = 0;
        int total = (int)(rate * duration.TotalSeconds);
        var pending = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due > clock.Elapsed)
                await Task.Delay(due - clock.Elapsed);
            int n = i;
            pending.Add(Task.Run(async () =>
            {
                var start = clock.Elapsed;
                try
                {
                    var faceId = $"{run}-{n}";
                    await bus.Publish(new FaceEnrolled
                    {
                        Tenant = gallery.Tenant, Gallery = gallery.Gallery, SubjectId = $"s{n}", FaceId = faceId,
                        Embedding = vectors[n % vectors.Length], ModelId = "load-model", Quality = 1, EnrolledAt = DateTimeOffset.UtcNow,
                    });
                    confirms.Add((clock.Elapsed - start).TotalMilliseconds);
                    var answer = await client.AwaitFacesAsync(new AwaitFacesRequest { Gallery = gallery, FaceIds = { faceId } }, deadline: DateTime.UtcNow.AddSeconds(60));
                    if (answer.Done)
                        lags.Add((clock.Elapsed - start).TotalMilliseconds);
                    else
                        Interlocked.Increment(ref failed);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failed);
                }
            }));
            if (n > 0 && n % (int)Math.Max(1, rate * 5) == 0)
                progress($"  {n}/{total} published, {lags.Count} searchable");
        }
        await Task.WhenAll(pending);
        double seconds = clock.Elapsed.TotalSeconds;
        await bus.StopAsync();
        var sorted = lags.Order().ToArray();
        // No percentile when nothing was measured: null in the JSON, "none" in the table (NaN cannot be written as JSON).
        double? P(double q) => sorted.Length == 0 ? null : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        var confirmSorted = confirms.Order().ToArray();
        return new Result(rate, seconds, total, sorted.Length, failed, sorted.Length / seconds,
            confirmSorted.Length == 0 ? null : confirmSorted[confirmSorted.Length / 2], P(0.5), P(0.95), P(0.99));
    }

    private static float[] Unit(Random random)
    {
        var v = Enumerable.Range(0, 512).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
