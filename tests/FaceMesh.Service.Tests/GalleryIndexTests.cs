using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Service.Tests;

/// <summary>Exact search over enrolled faces, with real embeddings of the knn_examples photos.</summary>
[Collection(PipelineCollection.Name)]
public sealed class GalleryIndexTests(PipelineFixture fixture)
{
    private static readonly GalleryKey Key = new("tenant-a", "staff");
    private static string Train => Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train");

    private GalleryIndex EnrollTrainingPhotos(bool int8 = false)
    {
        var gallery = new GalleryIndex(Key, int8);
        foreach (var dir in Directory.GetDirectories(Train))
            foreach (var photo in Directory.GetFiles(dir))
                gallery.Upsert([new EnrolledFace(Path.GetFileName(photo) + "@" + Path.GetFileName(dir), Path.GetFileName(dir),
                                                 fixture.EmbedPrimary(photo), fixture.Pipeline.ModelId, 1)]);
        return gallery;
    }

    [Theory]
    [InlineData("obama1.jpg", "obama", false)]
    [InlineData("alex_lacamoire1.jpg", "alex_lacamoire", false)]
    [InlineData("johnsnow_test1.jpg", "kit_harington", false)]
    [InlineData("johnsnow_test1.jpg", "kit_harington", true)]
    public void Search_names_the_enrolled_person_above_the_threshold(string probe, string expected, bool int8)
    {
        var gallery = EnrollTrainingPhotos(int8);
        var query = fixture.EmbedPrimary(Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "test", probe));
        var matches = gallery.Search([query], fixture.Pipeline.ModelId, k: 3)[0];
        Assert.Equal(3, matches.Count);
        Assert.Equal(expected, matches[0].SubjectId);
        Assert.True(matches[0].Score >= fixture.Pipeline.Thresholds.At(1e-3), $"{probe}: {matches[0].Score:F3}");
        Assert.True(matches[1].Score < matches[0].Score);
    }

    [Fact]
    public void Upserting_the_same_face_id_again_replaces_it()
    {
        var gallery = EnrollTrainingPhotos();
        int faces = gallery.FaceCount;
        var biden = fixture.EmbedPrimary(Path.Combine(Train, "biden", "biden.jpg"));
        gallery.Upsert([new EnrolledFace("biden.jpg@biden", "biden", biden, fixture.Pipeline.ModelId, 1)]);
        Assert.Equal(faces, gallery.FaceCount);
        Assert.Equal(5, gallery.SubjectCount);
    }

    [Fact]
    public void Deleting_a_subject_removes_every_face_and_it_is_no_longer_found()
    {
        var gallery = EnrollTrainingPhotos();
        var query = fixture.EmbedPrimary(Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "test", "obama1.jpg"));
        Assert.Equal(2, gallery.DeleteSubject("obama"));
        Assert.Empty(gallery.FacesOf("obama"));
        Assert.DoesNotContain(gallery.Search([query], fixture.Pipeline.ModelId, k: 10)[0], m => m.SubjectId == "obama");
        Assert.Equal(0, gallery.DeleteSubject("obama"));
    }
}
