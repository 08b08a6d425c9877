using System.Numerics;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// dlib's face chip (<c>get_face_chip_details</c> in dlib/image_transforms/interpolation.h): the face is mapped
/// by a similarity transform onto dlib's mean face shape, scaled into a square of <c>size</c> pixels with
/// <c>padding</c> (a fraction of the mean face's extent) on every side. dlib fits it on landmarks 27–54 and
/// 60–64 of the 68-point markup (nose, eyes, upper lip; not the jaw, brows or lower lip); with only FaceMesh's
/// five points, the same mean face gives where those five points sit on the chip.
/// </summary>
public static class DlibFaceChip
{
    // dlib's mean face: points 17–67 of the 68-point markup, in [0, 1] of the face's extent.
    private static readonly float[] MeanX =
    [
        0.000213256f, 0.0752622f, 0.18113f, 0.29077f, 0.393397f, 0.586856f, 0.689483f, 0.799124f,
        0.904991f, 0.98004f, 0.490127f, 0.490127f, 0.490127f, 0.490127f, 0.36688f, 0.426036f,
        0.490127f, 0.554217f, 0.613373f, 0.121737f, 0.187122f, 0.265825f, 0.334606f, 0.260918f,
        0.182743f, 0.645647f, 0.714428f, 0.793132f, 0.858516f, 0.79751f, 0.719335f, 0.254149f,
        0.340985f, 0.428858f, 0.490127f, 0.551395f, 0.639268f, 0.726104f, 0.642159f, 0.556721f,
        0.490127f, 0.423532f, 0.338094f, 0.290379f, 0.428096f, 0.490127f, 0.552157f, 0.689874f,
        0.553364f, 0.490127f, 0.42689f,
    ];

    private static readonly float[] MeanY =
    [
        0.106454f, 0.038915f, 0.0187482f, 0.0344891f, 0.0773906f, 0.0773906f, 0.0344891f,
        0.0187482f, 0.038915f, 0.106454f, 0.203352f, 0.307009f, 0.409805f, 0.515625f, 0.587326f,
        0.609345f, 0.628106f, 0.609345f, 0.587326f, 0.216423f, 0.178758f, 0.179852f, 0.231733f,
        0.245099f, 0.244077f, 0.231733f, 0.179852f, 0.178758f, 0.216423f, 0.244077f, 0.245099f,
        0.780233f, 0.745405f, 0.727388f, 0.742578f, 0.727388f, 0.745405f, 0.780233f, 0.864805f,
        0.902192f, 0.909281f, 0.902192f, 0.864805f, 0.784792f, 0.778746f, 0.785343f, 0.778746f,
        0.784792f, 0.824182f, 0.831803f, 0.824182f,
    ];

    /// <summary>The 68-point indices dlib fits the chip on: 27–54 and 60–64.</summary>
    public static readonly int[] FittedPoints = Enumerable.Range(27, 28).Concat(Enumerable.Range(60, 5)).ToArray();

    /// <summary>Where 68-point landmark <paramref name="index"/> (17–67) sits on the chip.</summary>
    public static Vector2 OnChip(int index, int size, float padding) =>
        new((padding + MeanX[index - 17]) / (2 * padding + 1) * size, (padding + MeanY[index - 17]) / (2 * padding + 1) * size);

    /// <summary>The chip positions of <see cref="FittedPoints"/>.</summary>
    public static Vector2[] FittedTemplate(int size, float padding) => FittedPoints.Select(i => OnChip(i, size, padding)).ToArray();

    /// <summary>Where FaceMesh's five points (<see cref="FiveLandmarks.From68"/> of the mean face) sit on the chip.</summary>
    public static Vector2[] FivePointTemplate(int size, float padding) =>
        FiveLandmarks.From68(Enumerable.Range(0, 68).Select(i => i >= 17 ? OnChip(i, size, padding) : Vector2.Zero).ToArray());
}
