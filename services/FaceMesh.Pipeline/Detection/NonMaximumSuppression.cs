namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// Greedy non-maximum suppression: take the best-scoring box, drop every box that overlaps it by
/// more than the IoU threshold, repeat.
/// </summary>
public static class NonMaximumSuppression
{
    public static List<DetectedFace> Apply(IEnumerable<DetectedFace> candidates, float iouThreshold, int topK = int.MaxValue)
    {
        var sorted = candidates.OrderByDescending(c => c.Score).Take(topK).ToList();
        var kept = new List<DetectedFace>();
        var suppressed = new bool[sorted.Count];
        for (int i = 0; i < sorted.Count; i++)
        {
            if (suppressed[i])
                continue;
            kept.Add(sorted[i]);
            for (int j = i + 1; j < sorted.Count; j++)
                if (!suppressed[j] && sorted[i].Box.IoU(sorted[j].Box) > iouThreshold)
                    suppressed[j] = true;
        }
        return kept;
    }
}
