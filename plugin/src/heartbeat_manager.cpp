#include "aip/plugin/heartbeat_manager.hpp"

#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

#include "aip/plugin/duration.hpp"
#include "saturating_time.hpp"

namespace aip::plugin {
namespace {

TimePoint later(TimePoint at, Duration delta) noexcept {
    return detail::saturating_add(at, delta);
}

void require_positive(Duration interval, std::string_view what) {
    if (interval <= Duration{0}) {
        throw std::invalid_argument(std::string(what) + " (" + format_duration(interval) +
                                    ") must be positive");
    }
}

}  // namespace

std::string_view to_string(SendResult result) noexcept {
    switch (result) {
        case SendResult::Sent: return "sent";
        case SendResult::NotConnected: return "not_connected";
        case SendResult::Failed: return "failed";
    }
    return "unknown";
}

HeartbeatManager::HeartbeatManager(Duration default_interval, std::uint32_t liveness)
    : HeartbeatManager(default_interval, liveness, DetectorConfig{}) {}

HeartbeatManager::HeartbeatManager(Duration default_interval, std::uint32_t liveness,
                                   DetectorConfig detector)
    : default_interval_(default_interval), liveness_(liveness), detector_(detector) {
    require_positive(default_interval, "heartbeat interval");
    if (liveness == 0) {
        throw std::invalid_argument("heartbeat liveness (0) must be at least 1");
    }
    if (auto error = detector_.validate()) {
        throw std::invalid_argument("invalid failure detector: " + *error);
    }
}

void HeartbeatManager::start_heartbeat(const std::string& id, TimePoint now,
                                       std::optional<Duration> interval) {
    const Duration chosen = interval.value_or(default_interval_);
    require_positive(chosen, "heartbeat interval of peer '" + id + "'");

    Peer fresh{FailureDetector(detector_, chosen, liveness_)};
    fresh.serial = next_serial_++;
    fresh.interval = chosen;
    fresh.detector.restart(now);

    auto peer = peers_.find(id);
    if (peer != peers_.end()) {
        erase_timers(peer);
        peer->second = std::move(fresh);
    } else {
        peer = peers_.emplace(id, std::move(fresh)).first;
    }

    schedule_send(peer, later(now, chosen));
    schedule_receive(peer, peer->second.detector.lost_at());
}

void HeartbeatManager::stop_heartbeat(const std::string& id) {
    const auto peer = peers_.find(id);
    if (peer == peers_.end()) {
        return;
    }
    erase_timers(peer);
    peers_.erase(peer);
}

void HeartbeatManager::stop_all() {
    timers_.clear();
    peers_.clear();
}

bool HeartbeatManager::is_running(const std::string& id) const { return peers_.contains(id); }

std::optional<Duration> HeartbeatManager::get_interval(const std::string& id) const {
    const auto peer = peers_.find(id);
    if (peer == peers_.end()) {
        return std::nullopt;
    }
    return peer->second.interval;
}

void HeartbeatManager::on_received(const std::string& id, TimePoint now) {
    const auto peer = peers_.find(id);
    if (peer == peers_.end()) {
        return;
    }
    peer->second.stall_extended = false;
    peer->second.detector.record_arrival(now);
    schedule_receive(peer, peer->second.detector.lost_at());
}

std::optional<double> HeartbeatManager::phi(const std::string& id, TimePoint now) const {
    const auto peer = peers_.find(id);
    if (peer == peers_.end()) {
        return std::nullopt;
    }
    return peer->second.detector.phi(now);
}

const DetectorConfig& HeartbeatManager::detector() const noexcept { return detector_; }

void HeartbeatManager::on_sent(const std::string& id, TimePoint now) {
    const auto peer = peers_.find(id);
    if (peer == peers_.end()) {
        return;
    }
    schedule_send(peer, later(now, peer->second.interval));
}

HeartbeatManager::Due HeartbeatManager::poll(TimePoint now) { return collect(now, nullptr); }

HeartbeatManager::Due HeartbeatManager::poll(TimePoint now, const SendFunction& send) {
    return collect(now, &send);
}

HeartbeatManager::Due HeartbeatManager::collect(TimePoint now, const SendFunction* send) {
    Due due;
    // Time since the previous poll; zero on the first poll or when the clock did not advance.
    const Duration gap = last_poll_ && now > *last_poll_
                             ? std::chrono::duration_cast<Duration>(now - *last_poll_)
                             : Duration::zero();
    last_poll_ = now;

    // Take every due timer out first: rescheduling inside the loop would revisit them.
    std::vector<Timer> fired;
    while (!timers_.empty() && timers_.begin()->at <= now) {
        fired.push_back(*timers_.begin());
        timers_.erase(timers_.begin());
    }

    // Receive deadlines first, so that a peer lost at this poll gets no heartbeat. Lost peers stay
    // in peers_ until the end because `fired` still points at their ids.
    std::vector<PeerMap::iterator> lost;
    for (const Timer& timer : fired) {
        if (timer.kind != TimerKind::Receive) {
            continue;
        }
        const auto peer = peers_.find(*timer.id);
        Peer& state = peer->second;

        if (gap > state.interval && !state.stall_extended) {
            state.stall_extended = true;
            due.stall = gap;
            ++due.stall_extended;
            schedule_receive(peer, later(timer.at, gap));
            continue;
        }

        state.lost = true;
        due.lost.push_back(peer->first);
        lost.push_back(peer);
    }

    for (const Timer& timer : fired) {
        if (timer.kind != TimerKind::Send) {
            continue;
        }
        const auto peer = peers_.find(*timer.id);
        if (peer->second.lost) {
            continue;
        }

        SendResult result = SendResult::Sent;
        if (send != nullptr) {
            try {
                result = (*send)(peer->first);
            } catch (const std::exception&) {
                result = SendResult::Failed;
            }
        }

        switch (result) {
            case SendResult::Sent: due.send_heartbeat.push_back(peer->first); break;
            case SendResult::NotConnected: due.not_connected.push_back(peer->first); break;
            case SendResult::Failed: due.send_failed.push_back(peer->first); break;
        }
        schedule_send(peer, later(now, peer->second.interval));
    }

    for (const auto peer : lost) {
        erase_timers(peer);
        peers_.erase(peer);
    }
    return due;
}

std::optional<TimePoint> HeartbeatManager::next_deadline() const {
    if (timers_.empty()) {
        return std::nullopt;
    }
    return timers_.begin()->at;
}

std::size_t HeartbeatManager::size() const noexcept { return peers_.size(); }

void HeartbeatManager::schedule_send(PeerMap::iterator peer, TimePoint at) {
    Peer& state = peer->second;
    timers_.erase(Timer{state.send_at, state.serial, TimerKind::Send, nullptr});
    state.send_at = at;
    timers_.insert(Timer{at, state.serial, TimerKind::Send, &peer->first});
}

void HeartbeatManager::schedule_receive(PeerMap::iterator peer, TimePoint at) {
    Peer& state = peer->second;
    timers_.erase(Timer{state.receive_deadline, state.serial, TimerKind::Receive, nullptr});
    state.receive_deadline = at;
    timers_.insert(Timer{at, state.serial, TimerKind::Receive, &peer->first});
}

void HeartbeatManager::erase_timers(PeerMap::iterator peer) {
    const Peer& state = peer->second;
    timers_.erase(Timer{state.send_at, state.serial, TimerKind::Send, nullptr});
    timers_.erase(Timer{state.receive_deadline, state.serial, TimerKind::Receive, nullptr});
}

}  // namespace aip::plugin
