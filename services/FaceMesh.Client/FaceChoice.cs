using FaceMesh.Contracts.V1;

namespace FaceMesh.Client;

public static class FaceChoice
{
    /// <summary>
    /// The index of the largest face, for <c>EnrollPhoto.face_index</c> when a client enrolls photos of
    /// one person that also show others (the API refuses a many-face photo unless told which face).
    /// </summary>
    public static int LargestFace(this IReadOnlyList<Face> faces)
    {
        if (faces.Count == 0)
            throw new ArgumentException("There is no face to choose.", nameof(faces));
        int best = 0;
        for (int i = 1; i < faces.Count; i++)
            if (faces[i].Box.Width * faces[i].Box.Height > faces[best].Box.Width * faces[best].Box.Height)
                best = i;
        return best;
    }
}
