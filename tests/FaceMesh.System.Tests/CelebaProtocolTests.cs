using FaceMesh.Evaluation;

namespace FaceMesh.SystemTests;

/// <summary>
/// The whole LFW View-2 protocol on celeba-dev (6000 pairs, 3124 photos) with the default pipeline:
/// the accuracy the README reports, pinned so a regression fails CI. About a minute on 2 cores.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class CelebaProtocolTests(PipelineFixture fixture)
{
    [Fact]
    public void Celeba_dev_ten_fold_accuracy_and_tar_hold_with_every_photo_finding_a_face()
    {
        var pairs = LfwPairs.Read(Path.Combine(TestPaths.CelebaDev, "pairs.txt"), TestPaths.CelebaDev);
        var photos = pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToArray();
        var embeddings = PhotoEmbeddings.Compute(fixture.Pipeline, photos);
        var (report, roc) = VerificationEvaluation.Evaluate(pairs, embeddings);

        Assert.Equal(0, report.FailedImages);
        Assert.True(report.AccuracyMean >= 0.960, $"10-fold accuracy {report.AccuracyMean:P2}");
        Assert.True(report.TarAtFar["0.001"] >= 0.905, $"TAR@FAR1e-3 {report.TarAtFar["0.001"]:P2}");

        // At the pack's calibrated 1e-3 threshold the pairs file's impostors are accepted at about that rate.
        double threshold = fixture.Pipeline.Thresholds.At(1e-3);
        Assert.InRange(roc.Far(threshold), 0.0, 0.005);
        Assert.True(roc.Tar(threshold) >= 0.85, $"TAR at the calibrated threshold {roc.Tar(threshold):P2}");
    }
}
