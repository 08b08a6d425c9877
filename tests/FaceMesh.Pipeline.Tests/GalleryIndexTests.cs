using FaceMesh.Matching;

namespace FaceMesh.Pipeline.Tests;

/// <summary>Exact search over enrolled faces, with real embeddings of the knn_examples photos.</summary>
[Collection(PipelineCollection.Name)]
public sealed class GalleryIndexTests(PipelineFixture fixture)
{
    private static readonly GalleryKey Key = new("tenant-a", "staff");
    private static string Train => Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "train");

    private GalleryIndex EnrollTrainingPhotos()
    {
        var gallery = new GalleryIndex(Key);
        foreach (var dir in Directory.GetDirectories(Train))
            foreach (var photo in Directory.GetFiles(dir))
                gallery.Upsert([new EnrolledFace(Path.GetFileName(photo) + "@" + Path.GetFileName(dir), Path.GetFileName(dir),
                                                 fixture.EmbedPrimary(photo), fixture.Pipeline.ModelId, 1)]);
        return gallery;
    }

    [Theory]
    [InlineData("obama1.jpg", "obama")]
    [InlineData("alex_lacamoire1.jpg", "alex_lacamoire")]
    [InlineData("johnsnow_test1.jpg", "kit_harington")]
    public void Search_names_the_enrolled_person_above_the_threshold(string probe, string expected)
    {
        var gallery = EnrollTrainingPhotos();
        var query = fixture.EmbedPrimary(Path.Combine(TestPaths.Datasets, "examples", "knn_examples", "test", probe));
        var matches = gallery.Search(query, fixture.Pipeline.ModelId, k: 3);
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
        Assert.Null(gallery.FacesOf("obama"));
        Assert.DoesNotContain(gallery.Search(query, fixture.Pipeline.ModelId, k: 10), m => m.SubjectId == "obama");
        Assert.Throws<SubjectNotFoundException>(() => gallery.Compare(query, fixture.Pipeline.ModelId, "obama"));
        Assert.Equal(0, gallery.DeleteSubject("obama"));
    }

    [Fact]
    public void An_embedding_of_another_model_is_refused()
    {
        var gallery = EnrollTrainingPhotos();
        var vector = new float[512];
        vector[0] = 1;
        var e = Assert.Throws<ModelMismatchException>(() => gallery.Search(vector, "another-model", 1));
        Assert.Contains("faceplugin-mfn512-0.0.1", e.Message);
        Assert.Throws<ModelMismatchException>(() => gallery.Upsert([new EnrolledFace("x", "y", vector, "another-model", 1)]));
    }

    [Fact]
    public void Subjects_are_listed_in_pages_in_id_order()
    {
        var gallery = EnrollTrainingPhotos();
        var first = gallery.Subjects(after: null, pageSize: 2);
        Assert.Equal(["alex_lacamoire", "biden"], first.Select(s => s.SubjectId).ToArray());
        var second = gallery.Subjects(after: first[^1].SubjectId, pageSize: 2);
        Assert.Equal(["kit_harington", "obama"], second.Select(s => s.SubjectId).ToArray());
        Assert.Equal(["rose_leslie"], gallery.Subjects(after: second[^1].SubjectId, pageSize: 2).Select(s => s.SubjectId).ToArray());
    }

    [Fact]
    public void An_unknown_gallery_is_not_found()
    {
        var catalog = new GalleryCatalog();
        catalog.GetOrCreate(Key);
        var e = Assert.Throws<GalleryNotFoundException>(() => catalog.Get(new GalleryKey("tenant-b", "staff")));
        Assert.Contains("'staff' does not exist", e.Message);
        Assert.Single(catalog.OfTenant("tenant-a"));
        Assert.Empty(catalog.OfTenant("tenant-b"));
    }
}
