using FaceMesh.Hosting;
using FaceMesh.Imaging;

namespace FaceMesh.Embedder;

/// <summary>Loads the model and runs one batch through it before the service reports ready.</summary>
public sealed class ModelWarmup(EmbedderModel model, Readiness readiness, ILogger<ModelWarmup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var faces = Enumerable.Range(0, 2)
            .Select(_ => (IReadOnlyList<RgbImage>)model.Embedder.Crops.Select(c => new RgbImage(c.Size, c.Size)).ToArray()).ToArray();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await model.Batcher.EmbedFacesAsync(faces, flip: true, cancellationToken);
        logger.LogInformation("Warm-up done in {Ms:F0} ms; ready", started.Elapsed.TotalMilliseconds);
        readiness.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
