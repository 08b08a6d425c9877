using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Pipeline;

/// <summary>
/// Which face a photo is "of" when it holds several: the largest, most central one among the
/// confident ones. As in InsightFace's reference application, a face's value is its box area minus
/// twice the squared distance of its centre from the image centre; but with a score margin, only faces
/// scoring within that margin of the best detection compete, so a large, central false detection
/// (a patterned shirt, a torso) does not beat a real face that the detector is sure of.
/// </summary>
public static class PrimaryFace
{
    public static int IndexOf(IReadOnlyList<FaceBox> boxes, int imageWidth, int imageHeight, IReadOnlyList<float>? scores = null, float scoreMargin = float.PositiveInfinity)
    {
        float bestScore = scores is { Count: > 0 } ? scores.Max() : 0;
        int best = -1;
        double bestValue = double.NegativeInfinity;
        for (int i = 0; i < boxes.Count; i++)
        {
            if (scores is not null && scores[i] < bestScore - scoreMargin)
                continue;
            double dx = boxes[i].CenterX - imageWidth / 2.0, dy = boxes[i].CenterY - imageHeight / 2.0;
            double value = boxes[i].Area - 2 * (dx * dx + dy * dy);
            if (value > bestValue)
            {
                bestValue = value;
                best = i;
            }
        }
        return best;
    }

    public static int IndexOf(IReadOnlyList<Face> faces, int imageWidth, int imageHeight, float? scoreMargin) =>
        IndexOf(faces.Select(f => f.Box).ToArray(), imageWidth, imageHeight, faces.Select(f => f.Score).ToArray(), scoreMargin ?? float.PositiveInfinity);
}
