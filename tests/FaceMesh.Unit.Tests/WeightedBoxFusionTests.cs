using System.Numerics;
using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Unit.Tests;

public sealed class WeightedBoxFusionTests
{
    private static DetectedFace Face(float left, float top, float size, float score, Vector2[]? keypoints = null) =>
        new(new FaceBox(left, top, left + size, top + size), score, keypoints);

    [Fact]
    public void Two_detectors_boxes_of_one_face_become_their_score_weighted_mean_with_the_mean_score()
    {
        var fused = WeightedBoxFusion.Fuse([[Face(100, 100, 40, 0.9f)], [Face(104, 100, 40, 0.3f)]], 0.4f);
        var face = Assert.Single(fused);
        Assert.Equal(101f, face.Box.Left, 3); // (100·0.9 + 104·0.3) / 1.2
        Assert.Equal(141f, face.Box.Right, 3);
        Assert.Equal(100f, face.Box.Top, 3);
        Assert.Equal(0.6f, face.Score, 4);
    }

    [Fact]
    public void A_face_only_one_of_two_detectors_found_counts_half_and_faces_apart_stay_apart()
    {
        var fused = WeightedBoxFusion.Fuse([[Face(0, 0, 20, 0.8f), Face(200, 0, 20, 0.7f)], [Face(0, 1, 20, 0.6f)]], 0.4f);
        Assert.Equal(2, fused.Count);
        Assert.Equal(0.7f, fused[0].Score, 4); // found by both: (0.8 + 0.6) / 2
        Assert.Equal(0.35f, fused[1].Score, 4); // found by one of two: 0.7 · 1/2
        Assert.Equal(200f, fused[1].Box.Left);
    }

    [Fact]
    public void Boxes_overlapping_by_no_more_than_the_threshold_are_not_fused_and_keypoints_come_from_the_best_member_with_them()
    {
        // IoU of two 10×10 boxes 5 px apart: 50 / 150 = 0.33.
        Assert.Equal(2, WeightedBoxFusion.Fuse([[Face(0, 0, 10, 0.9f)], [Face(5, 0, 10, 0.9f)]], 0.4f).Count);
        Assert.Single(WeightedBoxFusion.Fuse([[Face(0, 0, 10, 0.9f)], [Face(5, 0, 10, 0.9f)]], 0.3f));
        Vector2[] weak = [new(1, 1)], strong = [new(2, 2)];
        var face = Assert.Single(WeightedBoxFusion.Fuse([[Face(0, 0, 10, 0.9f)], [Face(0, 0, 10, 0.5f, strong), Face(0, 0, 10, 0.4f, weak)]], 0.4f));
        Assert.Same(strong, face.Keypoints);
    }
}
