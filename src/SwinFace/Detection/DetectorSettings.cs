using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;

namespace SwinFace.Detection;

/// <summary>What every detector shares: the checks of its common settings, and opening its ONNX model.</summary>
internal static class DetectorSettings
{
    /// <summary>Checks the score and overlap thresholds, the minimum face size and the thread count.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of its range; the exception names it as the caller wrote it.</exception>
    public static void Validate(
        float scoreThreshold,
        float minFaceSize,
        float overlapThreshold,
        int intraOpThreads,
        [CallerArgumentExpression(nameof(scoreThreshold))] string scoreName = "",
        [CallerArgumentExpression(nameof(minFaceSize))] string minFaceName = "",
        [CallerArgumentExpression(nameof(overlapThreshold))] string overlapName = "",
        [CallerArgumentExpression(nameof(intraOpThreads))] string threadsName = "")
    {
        if (!(scoreThreshold is >= 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(scoreName, scoreThreshold, "The score threshold must be within 0 to 1.");
        }

        if (!(minFaceSize >= 0f) || float.IsInfinity(minFaceSize))
        {
            throw new ArgumentOutOfRangeException(minFaceName, minFaceSize, "The minimum face size must be 0 or more pixels.");
        }

        if (!(overlapThreshold is > 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(overlapName, overlapThreshold, "The overlap threshold must be above 0 and at most 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads, threadsName);
    }

    /// <summary>Opens a detector's model file, which the caller has checked exists.</summary>
    /// <exception cref="SwinFaceModelException">ONNX Runtime cannot load the file.</exception>
    public static InferenceSession OpenSession(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SwinFaceModelException($"{path}: not a valid ONNX model ({e.Message}).", e);
        }
    }
}
