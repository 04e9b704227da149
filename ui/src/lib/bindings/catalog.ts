// Generated from glovebox-core's catalog (crates/core/src/catalog.rs) by the bindings
// test; do not edit. Regenerate: UPDATE_BINDINGS=1 cargo test -p glovebox-desktop --test bindings
export const CATALOG = {
  "distance_units": [
    {
      "code": "km",
      "label": "km",
      "name": "Kilometres"
    },
    {
      "code": "mi",
      "label": "mi",
      "name": "Miles"
    }
  ],
  "volume_units": [
    {
      "code": "l",
      "label": "L",
      "name": "Litres"
    },
    {
      "code": "us_gal",
      "label": "US gal",
      "name": "US gallons"
    },
    {
      "code": "imp_gal",
      "label": "imp gal",
      "name": "Imperial gallons"
    },
    {
      "code": "kwh",
      "label": "kWh",
      "name": "kWh"
    },
    {
      "code": "kg",
      "label": "kg",
      "name": "Kilograms"
    }
  ],
  "economy_units": [
    {
      "code": "l_per_100km",
      "label": "L/100km",
      "name": "L/100km"
    },
    {
      "code": "km_per_l",
      "label": "km/L",
      "name": "km/L"
    },
    {
      "code": "mpg_us",
      "label": "mpg (US)",
      "name": "mpg (US)"
    },
    {
      "code": "mpg_uk",
      "label": "mpg (UK)",
      "name": "mpg (UK)"
    },
    {
      "code": "kwh_per_100km",
      "label": "kWh/100km",
      "name": "kWh/100km"
    },
    {
      "code": "mi_per_kwh",
      "label": "mi/kWh",
      "name": "mi/kWh"
    },
    {
      "code": "km_per_kwh",
      "label": "km/kWh",
      "name": "km/kWh"
    },
    {
      "code": "kg_per_100km",
      "label": "kg/100km",
      "name": "kg/100km"
    },
    {
      "code": "km_per_kg",
      "label": "km/kg",
      "name": "km/kg"
    },
    {
      "code": "mi_per_kg",
      "label": "mi/kg",
      "name": "mi/kg"
    }
  ],
  "economy_lower_is_better": [
    "l_per_100km",
    "kwh_per_100km",
    "kg_per_100km"
  ],
  "fuel_kinds": [
    {
      "code": "petrol",
      "label": "Petrol",
      "name": "Petrol"
    },
    {
      "code": "diesel",
      "label": "Diesel",
      "name": "Diesel"
    },
    {
      "code": "electric",
      "label": "Electric",
      "name": "Electric"
    },
    {
      "code": "hybrid",
      "label": "Hybrid",
      "name": "Hybrid"
    },
    {
      "code": "lpg",
      "label": "LPG",
      "name": "LPG"
    },
    {
      "code": "cng",
      "label": "CNG",
      "name": "CNG"
    },
    {
      "code": "other",
      "label": "Other",
      "name": "Other"
    }
  ],
  "currencies": [
    {
      "code": "AED",
      "digits": 2
    },
    {
      "code": "ARS",
      "digits": 2
    },
    {
      "code": "AUD",
      "digits": 2
    },
    {
      "code": "BGN",
      "digits": 2
    },
    {
      "code": "BHD",
      "digits": 3
    },
    {
      "code": "BRL",
      "digits": 2
    },
    {
      "code": "CAD",
      "digits": 2
    },
    {
      "code": "CHF",
      "digits": 2
    },
    {
      "code": "CLP",
      "digits": 0
    },
    {
      "code": "CNY",
      "digits": 2
    },
    {
      "code": "COP",
      "digits": 2
    },
    {
      "code": "CZK",
      "digits": 2
    },
    {
      "code": "DKK",
      "digits": 2
    },
    {
      "code": "EGP",
      "digits": 2
    },
    {
      "code": "EUR",
      "digits": 2
    },
    {
      "code": "GBP",
      "digits": 2
    },
    {
      "code": "HKD",
      "digits": 2
    },
    {
      "code": "HUF",
      "digits": 2
    },
    {
      "code": "IDR",
      "digits": 2
    },
    {
      "code": "ILS",
      "digits": 2
    },
    {
      "code": "INR",
      "digits": 2
    },
    {
      "code": "ISK",
      "digits": 0
    },
    {
      "code": "JOD",
      "digits": 3
    },
    {
      "code": "JPY",
      "digits": 0
    },
    {
      "code": "KES",
      "digits": 2
    },
    {
      "code": "KRW",
      "digits": 0
    },
    {
      "code": "KWD",
      "digits": 3
    },
    {
      "code": "MAD",
      "digits": 2
    },
    {
      "code": "MXN",
      "digits": 2
    },
    {
      "code": "MYR",
      "digits": 2
    },
    {
      "code": "NGN",
      "digits": 2
    },
    {
      "code": "NOK",
      "digits": 2
    },
    {
      "code": "NZD",
      "digits": 2
    },
    {
      "code": "OMR",
      "digits": 3
    },
    {
      "code": "PHP",
      "digits": 2
    },
    {
      "code": "PKR",
      "digits": 2
    },
    {
      "code": "PLN",
      "digits": 2
    },
    {
      "code": "QAR",
      "digits": 2
    },
    {
      "code": "RON",
      "digits": 2
    },
    {
      "code": "RSD",
      "digits": 2
    },
    {
      "code": "RUB",
      "digits": 2
    },
    {
      "code": "SAR",
      "digits": 2
    },
    {
      "code": "SEK",
      "digits": 2
    },
    {
      "code": "SGD",
      "digits": 2
    },
    {
      "code": "THB",
      "digits": 2
    },
    {
      "code": "TND",
      "digits": 3
    },
    {
      "code": "TRY",
      "digits": 2
    },
    {
      "code": "TWD",
      "digits": 2
    },
    {
      "code": "UAH",
      "digits": 2
    },
    {
      "code": "USD",
      "digits": 2
    },
    {
      "code": "VND",
      "digits": 0
    },
    {
      "code": "ZAR",
      "digits": 2
    }
  ],
  "common_currencies": [
    "EUR",
    "USD",
    "GBP",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "CAD",
    "AUD",
    "NZD",
    "JPY",
    "INR",
    "BRL",
    "MXN"
  ],
  "urgency": [
    {
      "code": "past_due",
      "label": "Past due",
      "name": "Past due"
    },
    {
      "code": "very_urgent",
      "label": "Very urgent",
      "name": "Very urgent"
    },
    {
      "code": "urgent",
      "label": "Urgent",
      "name": "Urgent"
    },
    {
      "code": "not_urgent",
      "label": "Not urgent",
      "name": "Not urgent"
    }
  ],
  "default_economy": [
    {
      "distance": "km",
      "volume": "l",
      "economy": "l_per_100km"
    },
    {
      "distance": "km",
      "volume": "us_gal",
      "economy": "l_per_100km"
    },
    {
      "distance": "km",
      "volume": "imp_gal",
      "economy": "l_per_100km"
    },
    {
      "distance": "km",
      "volume": "kwh",
      "economy": "kwh_per_100km"
    },
    {
      "distance": "km",
      "volume": "kg",
      "economy": "kg_per_100km"
    },
    {
      "distance": "mi",
      "volume": "l",
      "economy": "mpg_us"
    },
    {
      "distance": "mi",
      "volume": "us_gal",
      "economy": "mpg_us"
    },
    {
      "distance": "mi",
      "volume": "imp_gal",
      "economy": "mpg_uk"
    },
    {
      "distance": "mi",
      "volume": "kwh",
      "economy": "mi_per_kwh"
    },
    {
      "distance": "mi",
      "volume": "kg",
      "economy": "mi_per_kg"
    }
  ]
} as const;
