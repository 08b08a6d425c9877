using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Pipeline;

/// <summary>
/// Which face a photo is "of" when it holds several: the largest, most central one. As in
/// InsightFace's reference application, a face's value is its box area minus twice the squared
/// distance of its centre from the image centre.
/// </summary>
public static class PrimaryFace
{
    public static int IndexOf(IReadOnlyList<FaceBox> boxes, int imageWidth, int imageHeight)
    {
        int best = -1;
        double bestValue = double.NegativeInfinity;
        for (int i = 0; i < boxes.Count; i++)
        {
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
}
