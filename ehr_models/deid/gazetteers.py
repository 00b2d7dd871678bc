"""Name and place lists: US census name frequencies (from the ``names`` package when installed) and site lists.

The ``names`` package (MIT, 0.3.0) ships the 1990 US census lists: 88,799 surnames and 5,494 given names with
their frequency rank. It is optional: without it a short built-in list of very common names keeps the engine
working (with lower recall on free-text names; context rules and propagation do not need it). Files are read as
data; the package module is never imported. Site lists (a hospital's clinicians, wards, towns) come from the
caller's configuration or from ``ehr_models.deid.fit``.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

CENSUS_PACKAGE = "names"
_FILES = {"last": ("dist.all.last",), "first": ("dist.male.first", "dist.female.first")}

# Fallback when the census package is absent: the most common US given names and surnames.
FALLBACK_FIRST = frozenset(
    """
    james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony
    donald mark paul steven andrew kenneth joshua kevin brian george edward ronald timothy jason jeffrey ryan
    jacob gary nicholas eric jonathan stephen larry justin scott brandon frank benjamin gregory samuel raymond
    patrick alexander jack dennis jerry tyler aaron jose henry adam douglas nathan peter zachary kyle walter
    harold jeremy ethan carl keith roger gerald christian terry sean arthur austin noah lawrence jesse joe
    bryan billy jordan albert dylan bruce willie gabriel alan juan logan wayne ralph roy eugene randy vincent
    russell louis philip bobby johnny bradley mary patricia jennifer linda elizabeth barbara susan jessica
    sarah karen nancy lisa betty margaret sandra ashley kimberly emily donna michelle dorothy carol amanda
    melissa deborah stephanie rebecca sharon laura cynthia kathleen amy shirley angela helen anna brenda
    pamela nicole emma samantha katherine christine debra rachel catherine carolyn janet ruth maria heather
    diane virginia julie joyce victoria olivia kelly christina lauren joan evelyn judith megan cheryl andrea
    hannah martha jacqueline frances gloria ann teresa kathryn sara janice jean alice madison doris abigail
    julia judy grace denise amber marilyn beverly danielle theresa sophia marie diana brittany natalie
    isabella charlotte rose alexis kayla irene peggy thelma rita veronica philomena suzette margie
    """.split()
)
FALLBACK_LAST = frozenset(
    """
    smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
    anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
    robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall
    rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes
    stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard
    ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price
    alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell
    coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton
    graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar
    stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells
    vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez
    silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone
    salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan
    gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley
    knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry
    perkins hoffman johnston matthews pena richards willis carpenter lawrence sandoval guerrero george
    chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke larson santiago maldonado
    morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega bishop montgomery
    oliver jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett
    burton fuller wang weber welch rojas lucas marquez fields park yang little banks padilla day walsh bowman
    schultz luna fowler mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas
    schneider joseph barrett navarro figueroa keller avila wade molina stanley hopkins campos barnett bates
    chambers caldwell beck lambert miranda byrd craig ayala lowe frazier powers neal leonard gregory carrillo
    sutton fleming rhodes shelton schwartz norris jennings watts duran walters cohen mcdaniel moran parks
    steele vaughn becker holt deleon barker terry hale leon hail benson haynes horton miles lyons pham graves
    bush thornton wolfe warner cabrera mckinney mann zimmerman dawson lara fletcher page mccarthy love
    robles cervantes solis erickson reeves chang klein salinas fuentes baldwin daniel simon velasquez hardy
    higgins aguirre lin cummings chandler sharp barber bowen ochoa dennis robbins liu ramsey francis griffith
    paul blair oconnor cardenas pacheco cross calderon quinn moss swanson chan rivas khan rodgers serrano
    fitzgerald rosales stevenson christensen manning gill curry mclaughlin harmon mcgee gross doyle garner
    newton burgess reese walton blake trujillo adkins brady goodman roman webster goodwin fischer huang
    potter delacruz montoya todd wu hines mullins castaneda malone cannon tate mack sherman hubbard hodges
    zhang guerra wolf valencia saunders franco rowe gallagher farmer hammond hampton townsend ingram wise
    gallegos clarke barton schroeder maxwell waters logan camacho strickland norman person colon parsons
    frank harrington glover osborne buchanan casey floyd patton ibarra ball tyler suarez bowers orozco salas
    cobb gibbs andrade bauer conner moody escobar mcguire lloyd mueller hartman french kramer mcbride pope
    lindsey velazquez norton mccormick sparks flynn yates hogan marsh macias villanueva zamora pratt stokes
    owen ballard lang brock villarreal charles drake barrera cain patrick pineda burnett mercado santana
    shepherd bautista ali shaffer lamb trevino mckenzie hess beil olsen cochran morton nash wilkins petersen
    briggs shah roth nicholson holloway lozano rangel flowers hoover short arias mora valenzuela bryan meyers
    weiss underwood bass greer summers houston carson morrow clayton whitaker decker yoder collier zuniga
    carey wilcox melendez poole roberson larsen conley davenport copeland massey lam huff rocha cameron
    jefferson hood monroe anthony pittman huynh randall singleton kirk combs mathis christian skinner bradford
    richard galvan wall boone kirby wilkinson bridges bruce atkinson velez meza roy vincent york hodge
    villa abbott allison tapia gates chase sosa sweeney farrell wyatt dalton horn barron phelps yu dickerson
    heath foley atkins mathews bonilla acevedo benitez zavala hensley glenn cisneros harrell shields rubio
    huffman choi boyer garrison arroyo bond kane hancock callahan dillon cline wiggins grimes arellano melton
    oneill savage ho beltran pitts parrish ponce rich booth koch golden ware brennan mcdowell marks cantu
    humphrey baxter sawyer clay tanner hutchinson kaur berg wiley gilmore russo villegas hobbs keith wilkerson
    ahmed beard mcclain montes mata rosario vang walter henson oneal mosley mcclure beasley stephenson snow
    huerta preston vance barry johns eaton blackwell dyer prince macdonald solomon guevara stafford english
    hurst woodard cortes shannon kemp nolan mccullough merritt murillo moon salgado strong kline cordova
    barajas roach rosas winters jacobson lester knox bullock kerr leach meadows orr davila whitehead pruitt
    kent conway mckee barr david dejesus marin berger mcintyre blankenship gaines palacios cuevas bartlett
    durham dorsey mccall odonnell stein browning stout lowery sloan mclean hendricks calhoun sexton chung
    gentry hull duarte ellison nielsen gillespie buck middleton sellers leblanc esparza hardin bradshaw mcintosh
    howe livingston frost glass morse knapp herman stark bravo noble spears weeks corona frederick buckley
    mcfarland hebert enriquez hickman quintero randolph schaefer walls trejo house reilly pennington michael
    conrad giles benjamin crosby fitzpatrick donovan mays mahoney valentine raymond medrano hahn mcmillan
    small bentley felix peck lucero boyle hanna pace rush hurley harding mcconnell bernal nava ayers everett
    ventura avery pugh mayer bender shepard mcmahon landry case sampson moses magana blackburn dunlap gould
    duffy vaughan herring mckay espinosa rivers farley bernard ashley friedman potts truong costa correa
    blevins nixon clements fry delarosa best benton lugo portillo dougherty crane haley phan villalobos
    blanchard horne finley quintana lynn esquivel bean dodson mullen xiong hayden cano levy huber richmond
    moyer lim frye sheppard mccarty avalos booker waller parra woodward jaramillo krueger rasmussen brandt
    peralta donaldson stuart faulkner maynard galindo coffey estes sanford burch maddox vo oconnell vu
    andersen spence mcpherson church schmitt stanton leal cherry compton dudley sierra pollard alfaro hester
    proctor lu hinton novak good madden mccann terrell jarvis dickson reyna cantrell mayo branch hendrix
    rollins rowland whitney duke odom daugherty travis tang archer
    """.split()
)


# Cities written for this project (large US cities, state capitals, well-known world cities); a site adds its own
# towns through SiteLists. Only used after a place cue ("from Rome", "lives in Seattle") or capitalised.
CITIES = frozenset(
    name.replace("_", " ") for name in """
    new_york los_angeles chicago houston phoenix philadelphia san_antonio san_diego dallas san_jose austin
    jacksonville fort_worth columbus charlotte indianapolis san_francisco seattle denver washington boston
    el_paso nashville detroit oklahoma_city portland las_vegas memphis louisville baltimore milwaukee
    albuquerque tucson fresno sacramento kansas_city mesa atlanta omaha colorado_springs raleigh long_beach
    virginia_beach miami oakland minneapolis tulsa bakersfield wichita arlington tampa new_orleans cleveland
    honolulu anaheim lexington stockton henderson saint_paul st_louis cincinnati pittsburgh greensboro
    anchorage plano lincoln orlando irvine newark durham chula_vista toledo fort_wayne st_petersburg laredo
    jersey_city chandler madison lubbock scottsdale reno buffalo gilbert glendale norfolk winston-salem
    chesapeake garland irving hialeah fremont boise richmond baton_rouge spokane des_moines tacoma
    san_bernardino modesto fontana santa_clarita birmingham oxnard fayetteville moreno_valley rochester
    huntington_beach salt_lake_city grand_rapids amarillo yonkers aurora montgomery akron little_rock
    huntsville augusta columbus shreveport overland_park tallahassee knoxville worcester providence
    annapolis albany harrisburg trenton dover hartford concord montpelier augusta springfield frankfort
    charleston columbia atlanta tallahassee nashville jackson topeka pierre bismarck helena cheyenne
    olympia salem carson_city santa_fe juneau lansing
    rome paris london berlin madrid lisbon dublin athens moscow warsaw vienna prague budapest amsterdam
    brussels stockholm oslo copenhagen helsinki zurich geneva milan naples venice florence munich hamburg
    toronto montreal vancouver ottawa mexico_city havana kingston san_juan bogota lima caracas quito santiago
    buenos_aires rio_de_janeiro sao_paulo cairo lagos nairobi johannesburg cape_town accra addis_ababa
    tel_aviv jerusalem beirut baghdad tehran istanbul karachi lahore delhi new_delhi mumbai kolkata chennai
    bangalore dhaka bangkok hanoi saigon ho_chi_minh_city manila seoul tokyo osaka beijing shanghai
    hong_kong taipei singapore jakarta sydney melbourne auckland kiev kyiv minsk riga vilnius tallinn
    bucharest sofia belgrade zagreb krakow edinburgh glasgow manchester liverpool
    """.split()
)


# Institutions whose names are plain words ("went to Sacred Heart", "back to good samaritan"): well-known US
# hospital names, public knowledge, removed wherever they appear as a phrase (a site adds its own through SiteLists).
HOSPITAL_PHRASES = frozenset(
    """
    holy cross|sacred heart|good samaritan|mount sinai|mt sinai|mt. sinai|beth israel|johns hopkins|cedars sinai|
    mass general|brigham and women's|lenox hill|saint vincent's|st vincent's|st. vincent's|our lady of lourdes|
    mercy medical|providence st|presbyterian hospital|baptist hospital|methodist hospital|shady grove|
    good shepherd|holy family|holy name|holy redeemer|divine providence|mayo clinic|cleveland clinic
    """.replace("\n", " ").split("|")
)
HOSPITAL_PHRASES = frozenset(" ".join(p.split()) for p in HOSPITAL_PHRASES if p.strip())


def _census_dir() -> Path | None:
    spec = importlib.util.find_spec(CENSUS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=2)
def census_names(kind: str) -> dict[str, int]:
    """Lower-cased name -> frequency rank (1 = most common) for ``kind`` "first" or "last"; fallback if absent."""
    directory = _census_dir()
    if directory is None:
        logger.warning("census name lists (package %r) not installed: using the short built-in lists",
                       CENSUS_PACKAGE)
        fallback = FALLBACK_FIRST if kind == "first" else FALLBACK_LAST
        return {name: rank for rank, name in enumerate(sorted(fallback), 1)}
    ranks: dict[str, int] = {}
    for filename in _FILES[kind]:
        with open(directory / filename, encoding="ascii") as handle:
            for rank, line in enumerate(handle, 1):
                name = line.split(maxsplit=1)[0].lower() if line.strip() else ""
                if name and ranks.get(name, rank + 1) > rank:
                    ranks[name] = rank
    return ranks


@dataclass(frozen=True)
class SiteLists:
    """A site's own identifiers, lower-cased: clinicians' names and places (hospitals, wards, towns) as single
    words, and place names of several words ("holy cross") whose words alone are vocabulary. They are PHI-like,
    so they live in the caller's configuration, never in the package."""

    names: frozenset[str] = field(default_factory=frozenset)
    places: frozenset[str] = field(default_factory=frozenset)
    place_phrases: frozenset[str] = field(default_factory=frozenset)

    def to_dict(self) -> dict:
        return {"names": sorted(self.names), "places": sorted(self.places),
                "place_phrases": sorted(self.place_phrases)}

    @classmethod
    def from_dict(cls, config: dict) -> "SiteLists":
        def words(key: str) -> frozenset[str]:
            return frozenset(" ".join(w.lower().split()) for w in config.get(key, ()))
        return cls(words("names"), words("places"), words("place_phrases"))
