using System.Diagnostics.Metrics;
using FaceMesh.Hosting;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Embedder;

/// <summary>
/// The Embedder's batching, as metrics (meter <c>FaceMesh.Embedder</c>, exported on <c>/metrics</c>):
/// crops per inference batch, how long the oldest crop of a batch waited, how long the model ran.
/// </summary>
public sealed class EmbedderMetrics : IDisposable
{
    public const string MeterName = ServiceDefaults.MeterPrefix + "Embedder";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _inference;
    private readonly Counter<long> _crops;

    public EmbedderMetrics(IMeterFactory meters, EmbedderModel model, Microsoft.Extensions.Options.IOptions<EmbedderOptions> options)
    {
        _meter = meters.Create(MeterName);
        _batchSize = _meter.CreateHistogram<int>("facemesh.embedder.batch_size", "{crop}", "Crops in one inference batch (a flipped crop counts twice).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _queueWait = _meter.CreateHistogram<double>("facemesh.embedder.queue_wait", "s", "How long the oldest crop of a batch waited for it.");
        _inference = _meter.CreateHistogram<double>("facemesh.embedder.inference_duration", "s", "Model run time of one batch.");
        _crops = _meter.CreateCounter<long>("facemesh.embedder.crops", "{crop}", "Crops embedded.");
        var provider = model.Embedder.Provider.ToString().ToLowerInvariant();
        // requested differs from provider when CUDA was asked for and the model fell back to the CPU (an alert).
        var requested = options.Value.Provider.ToString().ToLowerInvariant();
        _meter.CreateObservableGauge("facemesh.embedder.queue_depth", () => model.Batcher.Pending, "{crop}", "Crops queued or in inference.");
        _meter.CreateObservableGauge("facemesh.embedder.execution_provider", () => new Measurement<int>(1,
                new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("requested", requested)),
            description: "1 for the execution provider the model runs on (and the one configured).");
        model.Batcher.BatchCompleted += Record;
    }

    private void Record(BatchCompleted batch)
    {
        _batchSize.Record(batch.Crops);
        _queueWait.Record(batch.OldestQueueWait.TotalSeconds);
        _inference.Record(batch.Inference.TotalSeconds);
        _crops.Add(batch.Crops);
    }

    public void Dispose() => _meter.Dispose();
}
