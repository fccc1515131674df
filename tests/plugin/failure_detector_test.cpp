#include "aip/plugin/failure_detector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const TimePoint kStart{std::chrono::hours(1)};

DetectorConfig phi_config() {
    DetectorConfig config;
    config.kind = DetectorKind::Phi;
    return config;
}

TEST(FailureDetector, FixedLostAfterLivenessIntervals) {
    FailureDetector detector(DetectorConfig{}, 2s, 3);
    detector.restart(kStart);
    EXPECT_EQ(detector.lost_at(), kStart + 6s);
    detector.record_arrival(kStart + 1s);
    EXPECT_EQ(detector.lost_at(), kStart + 7s);
    EXPECT_FALSE(detector.uses_phi());
    EXPECT_EQ(detector.phi(kStart + 5s), 0.0);
}

TEST(FailureDetector, PhiUsesFixedRuleUntilMinSamples) {
    auto config = phi_config();
    config.min_samples = 4;
    FailureDetector detector(config, 1s, 3);
    detector.restart(kStart);
    for (int i = 1; i <= 3; ++i) {
        detector.record_arrival(kStart + i * 1s);
    }
    EXPECT_FALSE(detector.uses_phi());
    EXPECT_EQ(detector.lost_at(), kStart + 6s);

    detector.record_arrival(kStart + 4s);
    EXPECT_TRUE(detector.uses_phi());
}

TEST(FailureDetector, PhiQuantileInvertsPhi) {
    for (const double threshold : {1.0, 3.0, 8.0, 12.0}) {
        const double z = phi_quantile(threshold);
        EXPECT_NEAR(phi_value(1000.0 + z * 200.0, 1000.0, 200.0), threshold, 1e-6) << threshold;
    }
}

TEST(FailureDetector, PhiQuantileOfEight) {
    EXPECT_NEAR(phi_quantile(8.0), 5.612, 1e-3);
}

TEST(FailureDetector, PhiAtMeanIsLog10OfTwo) {
    EXPECT_NEAR(phi_value(1000.0, 1000.0, 100.0), std::log10(2.0), 1e-12);
}

TEST(FailureDetector, PhiGrowsWithSilence) {
    FailureDetector detector(phi_config(), 1s, 3);
    detector.restart(kStart);
    TimePoint now = kStart;
    for (int i = 0; i < 20; ++i) {
        now += 1s;
        detector.record_arrival(now);
    }
    double previous = detector.phi(now);
    for (int ms = 100; ms <= 3000; ms += 100) {
        const double current = detector.phi(now + Duration{ms});
        EXPECT_GE(current, previous) << ms;
        previous = current;
    }
}

TEST(FailureDetector, PhiLostAtMatchesModel) {
    FailureDetector detector(phi_config(), 1s, 3);
    detector.restart(kStart);
    TimePoint now = kStart;
    for (int i = 0; i < 20; ++i) {
        now += 1s;
        detector.record_arrival(now);
    }
    // sd 0 raised to min_std_dev 100 ms: 1000 + 5.612 x 100 = 1562 (rounded up) + 500 pause.
    EXPECT_EQ(detector.lost_at(), now + 2062ms);
}

TEST(FailureDetector, PhiJitterDelaysConviction) {
    FailureDetector steady(phi_config(), 1s, 3);
    FailureDetector jittery(phi_config(), 1s, 3);
    steady.restart(kStart);
    jittery.restart(kStart);

    TimePoint now = kStart;
    for (int i = 0; i < 40; ++i) {
        now += 1s;
        steady.record_arrival(now);
        jittery.record_arrival(now + (i % 2 == 0 ? 400ms : -400ms));
    }
    const auto steady_silence = steady.lost_at() - now;
    const auto jittery_silence = jittery.lost_at() - (now - 400ms);
    EXPECT_GT(jittery_silence, steady_silence);
}

TEST(FailureDetector, PhiNeverConvictsBeforeIntervalPlusPause) {
    FailureDetector detector(phi_config(), 1s, 3);
    detector.restart(kStart);
    TimePoint now = kStart;
    for (int i = 0; i < 50; ++i) {
        now += 10ms;  // a burst of traffic
        detector.record_arrival(now);
    }
    EXPECT_EQ(detector.lost_at(), now + 1500ms);
}

TEST(FailureDetector, CappedPhiConvictsNoLaterThanFixed) {
    FailureDetector detector(phi_config(), 1s, 3);
    detector.restart(kStart);
    TimePoint now = kStart;
    for (int i = 0; i < 40; ++i) {
        now += 1s;
        detector.record_arrival(now + (i % 2 == 0 ? 900ms : -900ms));  // very irregular gaps
    }
    // The latest arrival is i = 38's, 900 ms late: 100 ms before `now`.
    const TimePoint last = now - 100ms;
    EXPECT_TRUE(detector.uses_phi());
    EXPECT_EQ(detector.lost_at(), last + 3s);
}

TEST(FailureDetector, UncappedPhiMayWaitLongerThanFixed) {
    auto config = phi_config();
    config.capped = false;
    FailureDetector detector(config, 1s, 3);
    detector.restart(kStart);
    TimePoint now = kStart;
    for (int i = 0; i < 40; ++i) {
        now += 1s;
        detector.record_arrival(now + (i % 2 == 0 ? 900ms : -900ms));
    }
    const TimePoint last = now - 100ms;
    EXPECT_GT(detector.lost_at(), last + 3s);
}

TEST(FailureDetector, ArrivalsOutOfOrderAreIgnored) {
    FailureDetector detector(phi_config(), 1s, 3);
    detector.restart(kStart + 5s);
    detector.record_arrival(kStart + 4s);
    EXPECT_EQ(detector.window().size(), 0U);
    EXPECT_EQ(detector.lost_at(), kStart + 8s);
}

TEST(ArrivalWindow, MeanAndStandardDeviation) {
    ArrivalWindow window(10);
    for (const auto gap : {800ms, 1000ms, 1200ms}) {
        window.add(gap);
    }
    EXPECT_EQ(window.size(), 3U);
    EXPECT_DOUBLE_EQ(window.mean_ms(), 1000.0);
    EXPECT_NEAR(window.std_dev_ms(), std::sqrt(80000.0 / 3.0), 1e-9);
}

TEST(ArrivalWindow, DropsOldestWhenFull) {
    ArrivalWindow window(2);
    window.add(100ms);
    window.add(200ms);
    window.add(300ms);
    EXPECT_EQ(window.size(), 2U);
    EXPECT_DOUBLE_EQ(window.mean_ms(), 250.0);
}

TEST(ArrivalWindow, ClampsHugeGaps) {
    ArrivalWindow window(2);
    window.add(Duration::max());
    EXPECT_DOUBLE_EQ(window.mean_ms(), static_cast<double>(ArrivalWindow::kMaxGap.count()));
}

TEST(DetectorConfig, DefaultsAreValid) {
    EXPECT_FALSE(DetectorConfig{}.validate().has_value());
    EXPECT_FALSE(phi_config().validate().has_value());
}

TEST(DetectorConfig, RejectsBadValues) {
    auto config = phi_config();
    config.threshold = 0.0;
    EXPECT_THAT(config.validate().value_or(""), HasSubstr("threshold"));

    config = phi_config();
    config.min_std_dev = 0ms;
    EXPECT_THAT(config.validate().value_or(""), HasSubstr("min_std_dev (0ms)"));

    config = phi_config();
    config.window = 1;
    EXPECT_THAT(config.validate().value_or(""), HasSubstr("window (1)"));

    config = phi_config();
    config.min_samples = 200;
    EXPECT_THAT(config.validate().value_or(""), HasSubstr("min_samples (200)"));

    config = phi_config();
    config.acceptable_pause = -1ms;
    EXPECT_THAT(config.validate().value_or(""), HasSubstr("acceptable_pause (-1ms)"));
}

TEST(FailureDetector, RejectsNonPositiveInterval) {
    EXPECT_THROW(FailureDetector(DetectorConfig{}, 0ms, 3), std::invalid_argument);
}

TEST(DetectorKind, ParsesNames) {
    EXPECT_EQ(parse_detector_kind("fixed"), DetectorKind::Fixed);
    EXPECT_EQ(parse_detector_kind("phi"), DetectorKind::Phi);
    EXPECT_FALSE(parse_detector_kind("Phi").has_value());
    EXPECT_EQ(to_string(DetectorKind::Phi), "phi");
}

}  // namespace
}  // namespace aip::plugin
