package io.tsforge.model;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * For a test class's duration: ND4J's default data types set to DOUBLE (DL4J's GradientCheckUtil insists on it) and
 * GradientCheckUtil's summary line shown ("N params checked, N passed, 0 failed. Largest relative error = .."); both
 * restored afterwards. Use with {@code @ExtendWith(DoublePrecision.class)}.
 */
final class DoublePrecision implements BeforeAllCallback, AfterAllCallback {

    private DataType savedDefault;
    private DataType savedFloatingPoint;

    @Override
    public void beforeAll(ExtensionContext context) {
        savedDefault = Nd4j.dataType();
        savedFloatingPoint = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Configurator.setLevel(GradientCheckUtil.class.getName(), Level.INFO);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloatingPoint);
        Configurator.setLevel(GradientCheckUtil.class.getName(), Level.WARN);
    }
}
