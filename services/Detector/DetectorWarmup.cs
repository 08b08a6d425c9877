using FaceMesh.Hosting;
using FaceMesh.Imaging;

namespace FaceMesh.Detector;

/// <summary>Runs the detector once on a blank image before the service reports ready.</summary>
public sealed class DetectorWarmup(DetectorModel model, Readiness readiness) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        model.Finder.Detect(new RgbImage(320, 240));
        readiness.MarkReady();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
