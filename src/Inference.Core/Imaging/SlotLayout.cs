namespace Inference.Core.Imaging;

/// <summary>What one image slot of a batch tensor holds, decided by the model's (possibly merged) input type.</summary>
public enum SlotLayout
{
    /// <summary>float32 [3, height, width] in the model's channel order and pixel scale: the model's own input.</summary>
    Float32Nchw,

    /// <summary>uint8 [height, width, 3], RGB 0–255: the input of a model with the uint8 input stage in front.</summary>
    UInt8Nhwc,
}
