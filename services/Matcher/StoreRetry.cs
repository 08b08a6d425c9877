using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using FaceMesh.Hosting;
using FaceMesh.Matching;
using FaceMesh.Matching.Storage;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FaceMesh.Matcher;

/// <summary>
/// Applies an enrollment event to the store, waiting out store outages. A transient fault (<see cref="IsTransient"/>:
/// Qdrant unreachable, a full or failing disk, a damaged face log awaiting repair) is retried with exponential backoff
/// for as long as it takes: the event stays unacknowledged, so it stays in the broker's queue (redelivered if this
/// process stops), and since every consumer slot waits on the store, consumption pauses until the store is back.
/// Permanent faults (another model, a malformed event: <see cref="IsPermanent"/>) are thrown at once and go to the
/// error queue; anything else is thrown to the bus's bounded retry. The outage is visible in
/// <c>facemesh_matcher_store_available</c> and <c>facemesh_enrollment_store_retries_total</c>
/// (alert <c>FaceMeshMatcherStoreDown</c>).
/// </summary>
public sealed class StoreRetry(IOptions<MatcherOptions> options, MatcherMetrics metrics, ILogger<StoreRetry> log)
{
    private readonly StoreRetryOptions _options = options.Value.StoreRetry;
    private readonly Lock _lock = new();
    private long _downSince; // Stopwatch timestamp of the first failure of the current outage; 0 while the store is up

    /// <summary>Seconds since the store started failing; null while it is up.</summary>
    public double? OutageSeconds
    {
        get
        {
            long since = Interlocked.Read(ref _downSince);
            return since == 0 ? null : Stopwatch.GetElapsedTime(since).TotalSeconds;
        }
    }

    public async Task RunAsync(string eventType, Func<CancellationToken, Task> change, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(_options.InitialDelayMilliseconds);
        var maximum = TimeSpan.FromMilliseconds(_options.MaxDelayMilliseconds);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await change(cancellation);
                Recovered();
                return;
            }
            catch (Exception error) when (IsTransient(error) && !cancellation.IsCancellationRequested)
            {
                Failed(eventType, error, attempt, delay);
            }
            // Cancelled (the Matcher stops): OperationCanceledException leaves the event in the queue for the next start.
            await Task.Delay(delay * (0.8 + 0.4 * Random.Shared.NextDouble()), cancellation);
            delay = TimeSpan.FromTicks(Math.Min(maximum.Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>Faults that retrying cannot fix: the event goes to the error queue at once.</summary>
    public static bool IsPermanent(Exception error) => error is ModelMismatchException or ArgumentException;

    /// <summary>Faults of the store, not of the event: they pass when the store is back.</summary>
    public static bool IsTransient(Exception error) => error switch
    {
        StoreUnavailableException or IOException or UnauthorizedAccessException or FaceLogDamagedException
            or HttpRequestException or SocketException or TimeoutException => true,
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted
            or StatusCode.Aborted or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => error.InnerException is { } inner && !IsPermanent(error) && IsTransient(inner),
    };

    private void Failed(string eventType, Exception error, int attempt, TimeSpan delay)
    {
        metrics.StoreRetries.Add(1, new("type", eventType), new("error", error.GetType().Name));
        bool first;
        lock (_lock)
        {
            first = _downSince == 0;
            if (first)
            {
                _downSince = Stopwatch.GetTimestamp();
                metrics.Observe(this);
            }
        }
        if (first)
            log.LogError("The store is failing ({Error}: {Message}); enrollment events wait in the queue and are retried until it is back.",
                error.GetType().Name, LogText.Safe(error.Message, 500));
        else if (attempt % 10 == 0)
            log.LogWarning("The store is still failing after {Seconds:F0} s ({Error}); retrying every {Delay:F1} s.",
                OutageSeconds ?? 0, error.GetType().Name, delay.TotalSeconds);
    }

    private void Recovered()
    {
        if (Interlocked.Read(ref _downSince) == 0)
            return;
        double seconds;
        lock (_lock)
        {
            if (_downSince == 0)
                return;
            seconds = Stopwatch.GetElapsedTime(_downSince).TotalSeconds;
            _downSince = 0;
        }
        log.LogWarning("The store is back after {Seconds:F1} s; enrollment events are applied again.", seconds);
    }
}

/// <summary>Configuration section <c>Matcher:StoreRetry</c>: the backoff between attempts while the store fails.</summary>
public sealed class StoreRetryOptions
{
    [System.ComponentModel.DataAnnotations.Range(10, 60_000)]
    public int InitialDelayMilliseconds { get; set; } = 200;

    [System.ComponentModel.DataAnnotations.Range(100, 600_000)]
    public int MaxDelayMilliseconds { get; set; } = 10_000;
}
