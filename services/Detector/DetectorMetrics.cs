using System.Diagnostics;
using System.Diagnostics.Metrics;
using FaceMesh.Hosting;

namespace FaceMesh.Detector;

/// <summary>
/// The Detector's metrics (meter <c>FaceMesh.Detector</c>, one per process) and its decode span.
/// </summary>
public static class DetectorMetrics
{
    private static readonly Meter Meter = new(FaceMeshService.MeterPrefix + "Detector");

    /// <summary>Decode, detect, landmarks and alignment of one image.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("facemesh.detector.duration", "s",
        "Time to decode an image and find, locate and align its faces.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2] });

    public static readonly Histogram<int> Faces = Meter.CreateHistogram<int>("facemesh.detector.faces", "{face}",
        "Faces found per image.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 5, 10, 20, 50, 100] });

    public static readonly ActivitySource Source = new(FaceMeshService.MeterPrefix + "Detector");
}
