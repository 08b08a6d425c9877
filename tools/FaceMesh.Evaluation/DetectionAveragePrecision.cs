using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Evaluation;

/// <summary>A face-height bin; faces outside it are ignored, as are detections outside it that match nothing.</summary>
public sealed record SizeRange(string Name, float MinHeight, float MaxHeight)
{
    public bool Contains(float height) => height >= MinHeight && height < MaxHeight;

    public static readonly SizeRange All = new("all", 0, float.PositiveInfinity);
    public static readonly SizeRange Small = new("small", 0, 32);
    public static readonly SizeRange Medium = new("medium", 32, 96);
    public static readonly SizeRange Large = new("large", 96, float.PositiveInfinity);
    public static readonly IReadOnlyList<SizeRange> Standard = [All, Small, Medium, Large];
}

/// <summary>
/// Average precision of a face detector at IoU ≥ 0.5 (PASCAL VOC 2010 all-points interpolation).
/// Detections of all images are ranked by score; each is matched greedily to the unmatched labelled
/// face it overlaps most. A detection matching an invalid face, or a face outside the size range, is
/// ignored; an unmatched detection counts as a false positive only when its own height is in the range
/// (the COCO convention for area ranges).
/// </summary>
public static class DetectionAveragePrecision
{
    public sealed record Result(SizeRange Range, double AveragePrecision, int Faces, double[] Recall, double[] Precision);

    /// <summary>
    /// The WIDER FACE protocol: the pipeline's detections (boxes only, above <paramref name="scoreThreshold"/>) in every
    /// labelled photo under <paramref name="root"/>, then the AP of each standard size range.
    /// </summary>
    public static Result[] Evaluate(FacePipeline pipeline, IReadOnlyList<GroundTruthImage> truth, string root, float scoreThreshold,
                                    bool? multiScale = null, int workers = 2, Action? tick = null)
    {
        var detections = new IReadOnlyList<DetectedFace>[truth.Count];
        Parallel.For(0, truth.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(root, truth[i].RelativePath)));
            detections[i] = pipeline.DetectBoxes(image, multiScale, scoreThreshold);
            tick?.Invoke();
        });
        var images = truth.Select((t, i) => (t.Faces, detections[i])).ToArray();
        return SizeRange.Standard.Select(r => Compute(images, r)).ToArray();
    }

    public static Result Compute(
        IReadOnlyList<(IReadOnlyList<GroundTruthFace> Truth, IReadOnlyList<DetectedFace> Detections)> images,
        SizeRange range, float iouThreshold = 0.5f)
    {
        var ranked = new List<(float Score, bool TruePositive)>();
        int positives = 0;
        foreach (var (truth, detections) in images)
        {
            var ignored = truth.Select(t => t.Invalid || !range.Contains(t.Box.Height)).ToArray();
            positives += ignored.Count(i => !i);
            var taken = new bool[truth.Count];
            foreach (var d in detections.OrderByDescending(d => d.Score))
            {
                int best = -1;
                float bestIoU = iouThreshold;
                // Prefer a counted face; fall back to an ignored one so a detection of it is not a false positive.
                for (int pass = 0; pass < 2 && best < 0; pass++)
                    for (int k = 0; k < truth.Count; k++)
                    {
                        if (taken[k] || ignored[k] != (pass == 1))
                            continue;
                        float iou = d.Box.IoU(truth[k].Box);
                        if (iou >= bestIoU)
                        {
                            bestIoU = iou;
                            best = k;
                        }
                    }
                if (best >= 0)
                {
                    taken[best] = true;
                    if (!ignored[best])
                        ranked.Add((d.Score, true));
                }
                else if (range.Contains(d.Box.Height))
                {
                    ranked.Add((d.Score, false));
                }
            }
        }
        ranked.Sort((a, b) => b.Score.CompareTo(a.Score));
        var recall = new double[ranked.Count];
        var precision = new double[ranked.Count];
        int tp = 0;
        for (int i = 0; i < ranked.Count; i++)
        {
            if (ranked[i].TruePositive)
                tp++;
            recall[i] = positives == 0 ? 0 : tp / (double)positives;
            precision[i] = tp / (double)(i + 1);
        }
        return new Result(range, Interpolated(recall, precision), positives, recall, precision);
    }

    /// <summary>Area under the precision envelope (precision made monotone from the right).</summary>
    public static double Interpolated(double[] recall, double[] precision)
    {
        double ap = 0, previousRecall = 0;
        var envelope = (double[])precision.Clone();
        for (int i = envelope.Length - 2; i >= 0; i--)
            envelope[i] = Math.Max(envelope[i], envelope[i + 1]);
        for (int i = 0; i < recall.Length; i++)
        {
            ap += (recall[i] - previousRecall) * envelope[i];
            previousRecall = recall[i];
        }
        return ap;
    }
}
