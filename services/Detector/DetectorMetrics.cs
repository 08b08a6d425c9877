using System.Diagnostics;
using System.Diagnostics.Metrics;
using FaceMesh.Hosting;
using FaceMesh.Imaging;

namespace FaceMesh.Detector;

/// <summary>
/// The Detector's metrics (meter <c>FaceMesh.Detector</c>, one per process) and its decode span.
/// </summary>
public static class DetectorMetrics
{
    private static readonly Meter Meter = new(ServiceDefaults.MeterPrefix + "Detector");

    /// <summary>Decode, detect, landmarks and alignment of one image.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("facemesh.detector.duration", "s",
        "Time to decode an image and find, locate and align its faces.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2] });

    public static readonly Histogram<int> Faces = Meter.CreateHistogram<int>("facemesh.detector.faces", "{face}",
        "Faces found per image.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 5, 10, 20, 50, 100] });

    public static readonly Counter<long> BudgetRefusals = Meter.CreateCounter<long>("facemesh.detector.decode.refusals", "{request}",
        "Requests refused with RESOURCE_EXHAUSTED because the decode budget stayed full (Detector:DecodeBudgetMegabytes).");

    public static readonly Counter<long> LivenessDecisions = Meter.CreateCounter<long>("facemesh.detector.liveness.decisions", "{face}",
        "Faces judged by the liveness model (Detector:LivenessPack), by decision: live or attack.");

    private static DecodeBudget? _budget;

    /// <summary>Reports this budget's bytes in use and peak (one Detector a process).</summary>
    public static void Observe(DecodeBudget budget)
    {
        if (Interlocked.Exchange(ref _budget, budget) is null)
        {
            Meter.CreateObservableGauge("facemesh.detector.decode.budget.used", () => _budget?.InUse ?? 0, "By",
                "Bytes of the decode budget held by requests now.");
            Meter.CreateObservableGauge("facemesh.detector.decode.budget.peak", () => _budget?.Peak ?? 0, "By",
                "The most bytes of the decode budget held at once since the Detector started.");
            Meter.CreateObservableGauge("facemesh.detector.decode.budget.limit", () => _budget?.Bytes ?? 0, "By",
                "The decode budget (Detector:DecodeBudgetMegabytes).");
        }
    }

    public static readonly ActivitySource Source = new(ServiceDefaults.MeterPrefix + "Detector");
}
