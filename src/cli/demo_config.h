#pragma once

#include <map>
#include <string>

// The project config `tunecase demo` writes next to its generated tickets: the local approaches,
// three prompting strategies against the offline stand-in on `sim_port`, and a business case.
std::string demo_config_toml(int sim_port, const std::map<std::string, std::string>& labels);
