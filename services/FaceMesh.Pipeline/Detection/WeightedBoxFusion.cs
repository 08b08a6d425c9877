using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// Weighted box fusion (Solovyev, Wang and Gabruseva, "Weighted boxes fusion: ensembling boxes from different object
/// detection models", 2019) of several detectors' faces: every box, best score first, joins the fused face it overlaps
/// most by more than the IoU threshold, or starts one; a fused face's box is its members' score-weighted mean, its score
/// their mean score times min(members, detectors) / detectors, so a face that only one of two detectors found counts
/// half (the lists may also be one detector's views of the photo and its mirror image). Unlike NMS, which keeps one box, the box is the
/// detectors' consensus. Keypoints come from the best member that
/// has them.
/// </summary>
/// <remarks>
/// The scores are fused as the detectors give them. Per-detector calibration (a logistic fit of each detector's
/// precision on its score, and on its score and the face's size) was measured on wider-dev's even-numbered events
/// and lowered AP by 0.02 to 0.03 on both halves (tools/eval/README.md), so it is not applied.
/// </remarks>
public sealed class WeightedBoxFusion(IReadOnlyList<IFaceDetector> detectors, float iouThreshold) : IFaceDetector
{
    public (int Width, int Height) InputSize => detectors[0].InputSize;

    /// <summary>Every detector's faces fused; a detector of several views (<see cref="IMultiViewDetector"/>) gives each view as one
    /// list.</summary>
    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null) =>
        Fuse(detectors.SelectMany(d => d is IMultiViewDetector views ? views.DetectViews(image, scoreThreshold) : [d.Detect(image, scoreThreshold)]).ToArray(), iouThreshold);

    /// <summary>Fuses the faces of <paramref name="perDetector"/>.Count detectors (one list each), best fused score first.</summary>
    public static List<DetectedFace> Fuse(IReadOnlyList<IReadOnlyList<DetectedFace>> perDetector, float iouThreshold)
    {
        var clusters = new List<Cluster>();
        foreach (var face in perDetector.SelectMany(d => d).OrderByDescending(f => f.Score))
        {
            Cluster? best = null;
            float bestIoU = iouThreshold;
            foreach (var c in clusters)
            {
                float iou = c.Box.IoU(face.Box);
                if (iou > bestIoU)
                    (best, bestIoU) = (c, iou);
            }
            if (best is null)
                clusters.Add(new Cluster(face));
            else
                best.Add(face);
        }
        int models = Math.Max(1, perDetector.Count);
        return clusters
            .Select(c => new DetectedFace(c.Box, c.ScoreSum / c.Count * Math.Min(c.Count, models) / models, c.Keypoints))
            .OrderByDescending(f => f.Score)
            .ToList();
    }

    private sealed class Cluster(DetectedFace first)
    {
        private float _left = first.Box.Left * first.Score, _top = first.Box.Top * first.Score;
        private float _right = first.Box.Right * first.Score, _bottom = first.Box.Bottom * first.Score;

        public float ScoreSum { get; private set; } = first.Score;
        public int Count { get; private set; } = 1;
        public FaceBox Box { get; private set; } = first.Box;
        /// <summary>Members arrive best first: the first with keypoints is the best with them.</summary>
        public Vector2[]? Keypoints { get; private set; } = first.Keypoints;

        public void Add(DetectedFace face)
        {
            _left += face.Box.Left * face.Score;
            _top += face.Box.Top * face.Score;
            _right += face.Box.Right * face.Score;
            _bottom += face.Box.Bottom * face.Score;
            ScoreSum += face.Score;
            Count++;
            Keypoints ??= face.Keypoints;
            // Scores are above zero (detectors report above a threshold); a zero sum keeps the first box.
            if (ScoreSum > 0)
                Box = new FaceBox(_left / ScoreSum, _top / ScoreSum, _right / ScoreSum, _bottom / ScoreSum);
        }
    }

    /// <summary>The detectors belong to whoever made them.</summary>
    public void Dispose() { }
}
