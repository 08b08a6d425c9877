using System.Diagnostics;
using System.Threading.Channels;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Embedding;

/// <summary>
/// Dynamic batching for the embedder: crops from concurrent requests wait in one queue, and a single
/// worker runs them through the model together, up to <see cref="BatchingOptions.MaxBatchSize"/> crops
/// or until the oldest has waited <see cref="BatchingOptions.MaxQueueDelay"/>. One model run of N
/// crops costs less than N runs of one, and callers never contend for the model's threads. The queue
/// is bounded: a request that would overfill it is refused at once with <see cref="EmbedderBusyException"/>.
/// </summary>
public sealed class EmbeddingBatcher : IAsyncDisposable
{
    private sealed record Item(IReadOnlyList<RgbImage> Crops, bool Flip, long EnqueuedAt, TaskCompletionSource<float[]> Result, ActivityContext Context);

    private readonly FaceEmbedder _embedder;
    private readonly BatchingOptions _options;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private int _pending;

    public EmbeddingBatcher(FaceEmbedder embedder, BatchingOptions options)
    {
        options.Validate();
        _embedder = embedder;
        _options = options;
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Raised on the worker after every batch (for metrics).</summary>
    public event Action<BatchCompleted>? BatchCompleted;

    /// <summary>Crops queued or in inference now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public FaceEmbedder Embedder => _embedder;

    /// <summary>One unit embedding per crop, in order (packs whose embedders share one alignment).</summary>
    public Task<float[][]> EmbedAsync(IReadOnlyList<RgbImage> crops, bool flip, CancellationToken cancellation = default) =>
        EmbedFacesAsync(crops.Select(c => (IReadOnlyList<RgbImage>)[c]).ToArray(), flip, cancellation);

    /// <summary>One unit embedding per face, in order; each face carries its crops in the order of <see
    /// cref="FaceEmbedder.Crops"/>.</summary>
    public async Task<float[][]> EmbedFacesAsync(IReadOnlyList<IReadOnlyList<RgbImage>> faces, bool flip, CancellationToken cancellation = default)
    {
        if (faces.Count == 0)
            return [];
        var needed = _embedder.Crops;
        foreach (var face in faces)
        {
            if (face.Count != needed.Count)
                throw new ArgumentException($"A face carries {face.Count} aligned crops; this embedder takes {needed.Count} per face ({string.Join("; ", needed)}).");
            for (int c = 0; c < needed.Count; c++)
                if (face[c].Width != needed[c].Size || face[c].Height != needed[c].Size)
                    throw new ArgumentException($"The embedder takes {needed[c].Size}x{needed[c].Size} aligned crops{(needed.Count > 1 ? $" as crop {c} of a face" : "")}, not {face[c].Width}x{face[c].Height}.");
        }
        if (faces.Count > _options.QueueCapacity)
            throw new ArgumentException($"{faces.Count} crops in one request; the embedder queue holds {_options.QueueCapacity}. Send fewer crops per request.");
        if (Interlocked.Add(ref _pending, faces.Count) > _options.QueueCapacity)
        {
            Interlocked.Add(ref _pending, -faces.Count);
            throw new EmbedderBusyException(
                $"The embedder queue is full ({_options.QueueCapacity} crops waiting or in inference); retry after a short back-off.");
        }
        using var span = PipelineTelemetry.Source.StartActivity("embed");
        span?.SetTag("facemesh.crops", faces.Count);
        span?.SetTag("facemesh.flip", flip);
        long now = Stopwatch.GetTimestamp();
        var context = Activity.Current?.Context ?? default;
        var items = faces.Select(c => new Item(c, flip, now, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), context)).ToArray();
        foreach (var item in items)
            _queue.Writer.TryWrite(item);
        var results = await Task.WhenAll(items.Select(i => i.Result.Task)).WaitAsync(cancellation).ConfigureAwait(false);
        return results;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Item>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int cost = 0;
            if (!reader.TryRead(out var first))
                continue;
            batch.Add(first);
            cost += first.Flip ? 2 : 1;
            var deadline = first.EnqueuedAt + (long)(_options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
            while (cost < _options.MaxBatchSize)
            {
                if (reader.TryPeek(out var next))
                {
                    int nextCost = next.Flip ? 2 : 1;
                    if (cost + nextCost > _options.MaxBatchSize)
                        break;
                    reader.TryRead(out next);
                    batch.Add(next!);
                    cost += nextCost;
                    continue;
                }
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero)
                    break;
                using var wait = new CancellationTokenSource(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            Run(batch);
        }
    }

    private void Run(List<Item> batch)
    {
        var wait = Stopwatch.GetElapsedTime(batch.Min(i => i.EnqueuedAt));
        long start = Stopwatch.GetTimestamp();
        // One model run serves several requests: its span links to each of their embed spans.
        var links = batch.Select(i => i.Context).Where(c => c != default).Distinct().Select(c => new ActivityLink(c));
        using var span = PipelineTelemetry.Source.StartActivity("embed.batch", ActivityKind.Internal, parentContext: default, links: links);
        span?.SetTag("facemesh.batch_size", batch.Sum(i => i.Flip ? 2 : 1));
        span?.SetTag("facemesh.queue_wait_ms", wait.TotalMilliseconds);
        var done = new List<(TaskCompletionSource<float[]> Result, float[] Vector)>(batch.Count);
        Exception? failure = null;
        try
        {
            // Crops with and without flip augmentation go through the model in their own runs.
            foreach (var group in batch.GroupBy(i => i.Flip))
            {
                var items = group.ToArray();
                var vectors = _embedder.EmbedFaces(items.Select(i => i.Crops).ToArray(), group.Key);
                for (int i = 0; i < items.Length; i++)
                    done.Add((items[i].Result, vectors[i]));
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            Interlocked.Add(ref _pending, -batch.Count);
        }
        try
        {
            // Reported before the callers get their vectors: whoever awaits a result finds its batch already counted.
            BatchCompleted?.Invoke(new BatchCompleted(batch.Sum(i => i.Flip ? 2 : 1), wait, Stopwatch.GetElapsedTime(start)));
        }
        finally
        {
            if (failure is null)
                foreach (var (result, vector) in done)
                    result.TrySetResult(vector);
            else
                foreach (var item in batch)
                    item.Result.TrySetException(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
