using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Evaluation;

/// <summary>A labelled face of WIDER FACE; an invalid one is neither required nor counted as a false positive.</summary>
public sealed record GroundTruthFace(FaceBox Box, bool Invalid);

public sealed record GroundTruthImage(string RelativePath, IReadOnlyList<GroundTruthFace> Faces);

/// <summary>
/// The WIDER FACE annotation format (<c>wider_face_val_bbx_gt.txt</c>): an image path line, a face
/// count line, then one line per face <c>x y w h blur expression illumination invalid occlusion pose</c>
/// (Yang et al., "WIDER FACE: A Face Detection Benchmark", CVPR 2016). An image with no face has
/// count 0 followed by one line of zeros.
/// </summary>
public static class WiderGroundTruth
{
    public static IReadOnlyList<GroundTruthImage> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The ground-truth file '{path}' does not exist.");
        var lines = File.ReadAllLines(path);
        var images = new List<GroundTruthImage>();
        for (int n = 0; n < lines.Length;)
        {
            var name = lines[n++].Trim();
            if (name.Length == 0)
                continue;
            if (n >= lines.Length || !int.TryParse(lines[n++].Trim(), out int count))
                throw new FormatException($"'{path}' line {n}: expected a face count after '{name}'.");
            var faces = new List<GroundTruthFace>(count);
            for (int k = 0; k < Math.Max(count, 1); k++, n++)
            {
                if (count == 0)
                    continue; // the single line of zeros
                var f = lines[n].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(float.Parse).ToArray();
                if (f.Length < 8)
                    throw new FormatException($"'{path}' line {n + 1}: expected 10 numbers per face.");
                faces.Add(new GroundTruthFace(FaceBox.FromXywh(f[0], f[1], f[2], f[3]), Invalid: f[7] != 0));
            }
            images.Add(new GroundTruthImage(name, faces));
        }
        return images;
    }
}
