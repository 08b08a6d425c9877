using System.Collections.Concurrent;
using System.Diagnostics;
using FaceMesh.Contracts.V1;
using Grpc.Core;

namespace FaceMesh.LoadGenerator;

/// <summary>
/// Sends requests from <c>Concurrency</c> workers for a fixed time, each worker waiting for its answer
/// before the next (closed loop) or, with a rate, starting requests on a fixed schedule (open loop).
/// Latency is measured per request from its scheduled start, so a slow server cannot hide queueing.
/// </summary>
public sealed class LoadRun(Func<CancellationToken, Task> call, LoadOptions options)
{
    public async Task<LoadResult> RunAsync()
    {
        await RunFor(options.Warmup, record: false);
        return await RunFor(options.Duration, record: true) ?? throw new InvalidOperationException();
    }

    private async Task<LoadResult?> RunFor(TimeSpan duration, bool record)
    {
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentDictionary<string, int>();
        int requests = 0;
        var clock = Stopwatch.StartNew();
        double interval = options.Rate > 0 ? options.Concurrency / options.Rate : 0; // seconds between a worker's starts
        async Task Worker(int id)
        {
            double next = interval > 0 ? id * interval / options.Concurrency : 0;
            while (clock.Elapsed < duration)
            {
                if (interval > 0)
                {
                    var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
                    if (wait > TimeSpan.Zero)
                        await Task.Delay(wait);
                }
                double scheduled = interval > 0 ? next : clock.Elapsed.TotalSeconds;
                next += interval;
                Interlocked.Increment(ref requests);
                try
                {
                    await call(CancellationToken.None);
                    latencies.Add((clock.Elapsed.TotalSeconds - scheduled) * 1000);
                }
                catch (RpcException e)
                {
                    errors.AddOrUpdate(e.StatusCode.ToString(), 1, (_, n) => n + 1);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => Worker(i))));
        if (!record)
            return null;
        double seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        return new LoadResult(options.Rpc, options.Concurrency, options.Rate, seconds, requests, sorted.Length, errors,
                              sorted.Length / seconds, Percentile(0.50), Percentile(0.95), Percentile(0.99), sorted.LastOrDefault());
    }
}
