using FaceMesh.Evaluation;

namespace FaceMesh.SystemTests;

/// <summary>
/// Frontal against profile faces on cfp-dev (the CFP protocol, its first two folds of 700 pairs each) with the
/// default pipeline: every profile is found (the bordered pass finds faces that fill the frame), and the accuracy
/// the README reports for these folds holds. The full five folds are `tools/eval/accuracy-steps`' job.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class CfpProtocolTests(PipelineFixture fixture)
{
    private static IReadOnlyList<LabelledPair> FirstFolds(string file, int folds) =>
        LfwPairs.Read(Path.Combine(TestPaths.CfpDev, file), TestPaths.CfpDev).Where(p => p.Fold < folds).ToArray();

    [Fact]
    public void Cfp_frontal_profile_pairs_find_every_face_and_hold_their_accuracy()
    {
        var pairs = FirstFolds("pairs-fp.txt", 2);
        Assert.Equal(1400, pairs.Count);
        var photos = pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToArray();
        var embeddings = PhotoEmbeddings.Compute(fixture.Pipeline, photos);
        var (report, _) = VerificationEvaluation.Evaluate(pairs, embeddings);

        Assert.Equal(0, report.FailedImages);
        Assert.True(report.AccuracyMean >= 0.88, $"frontal-profile accuracy on folds 1-2 {report.AccuracyMean:P2}");
    }
}
